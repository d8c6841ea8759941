package io.cryptvol.exec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * A real MINA SSH server on 127.0.0.1 (random port) whose exec channels run {@code /bin/sh -c <line>}, like
 * OpenSSH's sshd does, with public-key auth for one generated client key. It can pretend to be a non-root
 * user ({@link #fakeUid}) and a sudo that wants a password ({@link #sudoNeedsPassword}).
 *
 * <p>{@link #commandLines} lists every command line the host ran: an exec channel's line, or a line sent to
 * cryptvol's kept-open shell (read off that channel's input, as the shell reads it). {@link #channelLines}
 * lists the exec channels' lines only (the kept-open shell's start among them).
 */
public final class TestSshServer implements AutoCloseable {
    public final KeyPair hostKey;
    final KeyPair clientKey;
    final SshServer sshd;
    public final AtomicInteger sessionsCreated = new AtomicInteger();
    public final List<String> commandLines = new CopyOnWriteArrayList<>();
    public final List<String> channelLines = new CopyOnWriteArrayList<>();
    volatile String fakeUid;
    volatile boolean sudoNeedsPassword;
    /**
     * What runs each line instead of plain {@code /bin/sh -c LINE}: a prefix ({@code nsenter …}) and the
     * environment of the host's shell ({@code PATH} with fake tools first). Empty: this machine as it is.
     */
    public volatile List<String> hostPrefix = List.of();
    public volatile java.util.Map<String, String> hostEnv = java.util.Map.of();

    public TestSshServer() throws Exception {
        this("127.0.0.1", 0, null);
    }

    /**
     * A second host: bound to {@code host} (another loopback address, 127.0.0.2…) on {@code port}, taking the same
     * client key as {@code sameClientAs} (null: one of its own), as the hosts of one estate take the admin's one key.
     */
    public TestSshServer(String host, int port, TestSshServer sameClientAs) throws Exception {
        hostKey = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        clientKey = sameClientAs != null ? sameClientAs.clientKey : KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        sshd = SshServer.setUpDefaultServer();
        sshd.setHost(host);
        sshd.setPort(port);
        sshd.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, clientKey.getPublic()));
        sshd.setCommandFactory((channel, line) -> new ShCommand(line));
        sshd.addSessionListener(new SessionListener() {
            @Override
            public void sessionCreated(Session session) {
                sessionsCreated.incrementAndGet();
            }
        });
        sshd.start();
    }

    public int port() {
        return sshd.getPort();
    }

    /** Writes the client key as an OpenSSH private key file. */
    public Path writeClientKey(Path dir) throws Exception {
        Path file = dir.resolve("id_ecdsa");
        try (OutputStream out = Files.newOutputStream(file)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(clientKey, "cryptvol-test", null, out);
        }
        return file;
    }

    /** A known_hosts line binding this server's address to the given key. */
    public String knownHostsLine(KeyPair key) {
        return "[" + sshd.getHost() + "]:" + port() + " " + PublicKeyEntry.toString(key.getPublic());
    }

    public String hostKeyFingerprint() {
        return KeyUtils.getFingerPrint(hostKey.getPublic());
    }

    /** Closes every server-side session, as a dropped connection would. */
    void dropConnections() {
        sshd.getActiveSessions().forEach(s -> s.close(true));
    }

    @Override
    public void close() throws IOException {
        sshd.stop(true);
    }

    private final class ShCommand implements Command {
        private final String line;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private volatile Process process;

        ShCommand(String line) {
            this.line = line;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            channelLines.add(line);
            String nonce = keptShellNonce(line);
            if (nonce == null) {
                commandLines.add(line);
            }
            if (fakeUid != null && line.equals("id -u")) {
                reply(fakeUid + "\n", "", 0);
                return;
            }
            if (sudoNeedsPassword && line.startsWith("sudo -n ")) {
                reply("", "sudo: a password is required\n", 1);
                return;
            }
            List<String> argv = new java.util.ArrayList<>(hostPrefix);
            argv.addAll(List.of("/bin/sh", "-c", line));
            ProcessBuilder pb = new ProcessBuilder(argv);
            pb.environment().putAll(hostEnv);
            process = pb.start();
            Thread stdin = pump(nonce == null ? in : new RequestTap(in, nonce), process.getOutputStream(), true);
            Thread stdout = pump(process.getInputStream(), out, false);
            Thread stderr = pump(process.getErrorStream(), err, false);
            Thread waiter = new Thread(() -> {
                try {
                    int code = process.waitFor();
                    stdout.join();
                    stderr.join();
                    stdin.interrupt();
                    exit.onExit(code);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "test-sshd-wait");
            waiter.setDaemon(true);
            waiter.start();
        }

        private void reply(String stdout, String stderr, int code) throws IOException {
            out.write(stdout.getBytes(StandardCharsets.UTF_8));
            out.flush();
            err.write(stderr.getBytes(StandardCharsets.UTF_8));
            err.flush();
            exit.onExit(code);
        }

        private Thread pump(InputStream from, OutputStream to, boolean closeAfter) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try {
                    for (int n; (n = from.read(buf)) >= 0; ) {
                        to.write(buf, 0, n);
                        to.flush();
                    }
                } catch (IOException ignored) {
                    // channel or process gone
                } finally {
                    if (closeAfter) {
                        try {
                            to.close();
                        } catch (IOException ignored) {
                            // nothing to do
                        }
                    }
                }
            }, "test-sshd-pump");
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** The nonce when this line starts cryptvol's kept-open shell ({@link RemoteShell}), else null. */
        private static String keptShellNonce(String line) {
            if (!line.startsWith("sh -c ") || !line.contains(RemoteShell.SCRIPT.lines().findFirst().orElseThrow())) {
                return null;
            }
            return line.substring(line.lastIndexOf(' ') + 1);
        }

        /** Passes the kept-open shell's input through, noting each command line in it. */
        private final class RequestTap extends InputStream {
            private final InputStream in;
            private final String nonce;
            private final StringBuilder line = new StringBuilder();
            private StringBuilder command;

            RequestTap(InputStream in, String nonce) {
                this.in = in;
                this.nonce = nonce;
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                for (int i = 0; i < n; i++) {
                    char c = (char) (b[off + i] & 0xff);
                    if (c != '\n') {
                        line.append(c);
                        continue;
                    }
                    String l = new String(line.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                    line.setLength(0);
                    if (l.equals(nonce + " .") && command != null) {
                        commandLines.add(command.substring(0, Math.max(0, command.length() - 1)));
                        command = null;
                    } else if (l.startsWith(nonce + " ") && command == null) {
                        command = new StringBuilder();
                    } else if (command != null) {
                        command.append(l).append('\n');
                    }
                }
                return n;
            }
        }

        @Override
        public void destroy(ChannelSession channel) {
            Process p = process;
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }
}
