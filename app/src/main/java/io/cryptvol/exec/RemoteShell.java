package io.cryptvol.exec;

import io.cryptvol.domain.cmd.ShellQuote;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;

/**
 * One {@code sh} kept running on an SSH exec channel, to which command lines are sent one at a time.
 * On a slow host, a new exec channel per command costs sshd's session set-up (a fork and a shell) every
 * time; here each command costs only its own process, as in a plain script.
 *
 * <p>Only for commands without stdin: the shell's own stdin is the request stream, and every command
 * gets {@code </dev/null}. Key bytes never take this path (a command with stdin runs on its own channel).
 *
 * <p>Protocol, with a random {@code NONCE} per shell: the client writes {@code NONCE ID\n}, the command
 * line (any number of lines) and {@code NONCE .\n}; the shell evals the command line and prints
 * {@code \nNONCE ID RC\n} on stdout and {@code \nNONCE ID\n} on stderr. What comes before a marker is the
 * command's output (the newline the shell adds before the marker is not part of it). The shell's PID is
 * printed first, so that a command that overruns its timeout can be signalled from another channel.
 */
final class RemoteShell implements AutoCloseable {

    static final String SCRIPT = String.join("\n",
            "n=$1",
            "printf '\\n%s pid %s\\n' \"$n\" $$",
            "while IFS= read -r h; do",
            "  case $h in \"$n \"*) ;; *) continue ;; esac",
            "  id=${h#\"$n \"}; c=",
            "  while IFS= read -r l; do",
            "    [ \"$l\" = \"$n .\" ] && break",
            "    c=\"$c$l",
            "\"",
            "  done",
            "  eval \"$c\" </dev/null",
            "  rc=$?",
            "  printf '\\n%s %s %s\\n' \"$n\" \"$id\" \"$rc\"",
            "  printf '\\n%s %s\\n' \"$n\" \"$id\" >&2",
            "done",
            "");

    /** Builtins that would change or end the kept-open shell itself: such a command gets a channel of its own. */
    static final Set<String> AFFECTS_SHELL = Set.of("exit", "exec", "return", "cd", "set", "shift", "unset", "export",
            "readonly", "trap", "eval", ".", "source", "alias", "unalias", "ulimit", "umask", "wait", "read", "break",
            "continue");

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ChannelExec channel;
    private final OutputStream requests;
    private final Sink out;
    private final Sink err;
    private final String nonce;
    private final long pid;
    private long nextId;

    private RemoteShell(ChannelExec channel, Sink out, Sink err, String nonce, long pid) {
        this.channel = channel;
        this.out = out;
        this.err = err;
        this.requests = channel.getInvertedIn();
        this.nonce = nonce;
        this.pid = pid;
    }

    /** Starts the shell; throws when it does not answer within the timeout. */
    static RemoteShell open(ClientSession session, Duration timeout) throws IOException {
        byte[] n = new byte[12];
        RANDOM.nextBytes(n);
        String nonce = "@@cvsh" + HexFormat.of().formatHex(n);
        Sink out = new Sink();
        Sink err = new Sink();
        ChannelExec ch = session.createExecChannel(ShellQuote.join(List.of("sh", "-c", SCRIPT, "sh", nonce)));
        ch.setOut(out);
        ch.setErr(err);
        try {
            ch.open().verify(timeout);
            long deadline = deadline(timeout);
            String pid = out.await(("\n" + nonce + " pid ").getBytes(StandardCharsets.US_ASCII), deadline, ch) == null
                    ? null : out.line(deadline, ch);
            if (pid == null) {
                throw new IOException("the remote shell did not start" + (err.size() > 0 ? ": " + err.text() : ""));
            }
            return new RemoteShell(ch, out, err, nonce, Long.parseLong(pid.trim()));
        } catch (IOException | RuntimeException e) {
            ch.close(true);
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    /** The shell's process id on the host (the parent of the running command). */
    long pid() {
        return pid;
    }

    boolean isOpen() {
        return channel.isOpen() && !channel.isClosing();
    }

    /**
     * Runs one command line. Returns null when it did not finish within the timeout (the caller then
     * ends this shell). Throws IOException when the channel closed under it.
     */
    ExecResult run(String line, Duration timeout) throws IOException {
        long start = System.nanoTime();
        String id = Long.toString(++nextId);
        byte[] request = (nonce + " " + id + "\n" + line + "\n" + nonce + " .\n").getBytes(StandardCharsets.UTF_8);
        requests.write(request);
        requests.flush();
        long deadline = deadline(timeout);
        byte[] stdout = out.await(("\n" + nonce + " " + id + " ").getBytes(StandardCharsets.US_ASCII), deadline, channel);
        String rc = stdout == null ? null : out.line(deadline, channel);
        byte[] stderr = rc == null ? null
                : err.await(("\n" + nonce + " " + id + "\n").getBytes(StandardCharsets.US_ASCII), deadline, channel);
        if (stderr == null) {
            return null;
        }
        int code;
        try {
            code = Integer.parseInt(rc.trim());
        } catch (NumberFormatException e) {
            throw new IOException("the remote shell answered '" + rc + "' instead of an exit status");
        }
        return new ExecResult(code, stdout, stderr, Duration.ofNanos(System.nanoTime() - start));
    }

    @Override
    public void close() {
        try {
            requests.close(); // end of input: the shell's read loop ends
        } catch (IOException ignored) {
            // closing anyway
        }
        channel.close(true);
    }

    private static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    /** What the channel delivers (MINA's I/O threads write here), and a wait for a marker in it. */
    static final class Sink extends OutputStream {
        private static final byte[] NEWLINE = {'\n'};
        private byte[] buf = new byte[8192];
        private int len;
        private int scanned;

        @Override
        public synchronized void write(int b) {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
            System.arraycopy(b, off, buf, len, n);
            len += n;
            notifyAll();
        }

        synchronized int size() {
            return len;
        }

        synchronized String text() {
            return new String(buf, 0, len, StandardCharsets.UTF_8).strip();
        }

        /**
         * Waits for {@code marker}; returns what came before it and removes that and the marker from the
         * buffer. Null on timeout; IOException when the channel closed first.
         */
        synchronized byte[] await(byte[] marker, long deadline, ChannelExec ch) throws IOException {
            while (true) {
                int at = indexOf(marker, Math.max(0, scanned - marker.length));
                if (at >= 0) {
                    byte[] before = Arrays.copyOf(buf, at);
                    consume(at + marker.length);
                    return before;
                }
                scanned = len;
                if (!ch.isOpen() || ch.isClosing()) {
                    throw new IOException("the remote shell's channel closed");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                try {
                    wait(Math.max(1, Math.min(left / 1_000_000, 200)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the remote shell");
                }
            }
        }

        /** The rest of the current line (what follows a marker), its newline consumed; null on timeout. */
        synchronized String line(long deadline, ChannelExec ch) throws IOException {
            byte[] l = await(NEWLINE, deadline, ch);
            return l == null ? null : new String(l, StandardCharsets.US_ASCII);
        }

        private void consume(int n) {
            System.arraycopy(buf, n, buf, 0, len - n);
            len -= n;
            scanned = 0;
        }

        private int indexOf(byte[] m, int from) {
            outer:
            for (int i = from; i <= len - m.length; i++) {
                for (int j = 0; j < m.length; j++) {
                    if (buf[i + j] != m[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }
}
