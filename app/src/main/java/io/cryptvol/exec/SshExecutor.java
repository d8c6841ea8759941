package io.cryptvol.exec;

import io.cryptvol.domain.cmd.ShellQuote;
import io.cryptvol.domain.cmd.HostCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.PasswordIdentityProvider;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * Runs commands on a remote host over one SSH connection (Apache MINA SSHD client). The command line is
 * {@link ShellQuote#join} of the argv, prefixed with {@code sudo -n} for privileged commands when the remote
 * user is not root (the remote uid is read once with {@code id -u}). Commands without stdin are sent to one
 * kept-open remote shell ({@link RemoteShell}: sshd's per-channel set-up costs more than most commands on a
 * small instance); a command with stdin (key bytes), a shell builtin that would change that shell, and a
 * command issued while the shell is busy each get an exec channel of their own.
 *
 * <p>Authentication is by one OpenSSH private key file (ECDSA or RSA; Ed25519 keys need net.i2p eddsa or
 * BouncyCastle on the classpath with sshd 2.20, which this project does not ship). The host key is checked
 * against a known_hosts file: a changed key is always refused; an unknown key is refused unless the policy is
 * {@link HostKeyPolicy#ACCEPT_AND_REMEMBER}, which appends it. Neither ~/.ssh/config nor default identities
 * nor passwords are used.
 *
 * <p>Connection loss: the running command fails with a {@link HostExecutionException} saying it may or may
 * not have completed; the next command opens a new connection (counted by {@link #sessionsOpened()}).
 * Timeout: the channel is sent a TERM signal (honoured by OpenSSH 7.9+) and closed (in the kept-open shell:
 * its child gets TERM through {@code pkill -P} and the shell is replaced); the exception names the command and
 * the timeout.
 */
public final class SshExecutor implements HostExecutor {

    /** What to do with a host key that is not in known_hosts. A changed key is always refused. */
    public enum HostKeyPolicy {
        REFUSE_UNKNOWN,
        ACCEPT_AND_REMEMBER,
        /**
         * Trust the first key an unknown host presents for this executor only, in memory: known_hosts is not
         * written (a dry run changes nothing anywhere). A reconnection must present the same key.
         */
        ACCEPT_FOR_SESSION
    }

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(20);

    private final String user;
    private final String host;
    private final int port;
    private final Path identityFile;
    private final Path knownHosts;
    private final HostKeyPolicy policy;
    private final Duration defaultTimeout;
    private final Duration connectTimeout;
    private final boolean persistentShell;

    private final AtomicInteger sessionsOpened = new AtomicInteger();
    private final AtomicReference<String> hostKeyRejection = new AtomicReference<>();
    private final AtomicReference<String> rememberedHostKey = new AtomicReference<>();
    private final AtomicReference<PublicKey> sessionHostKey = new AtomicReference<>();
    private final AtomicReference<String> rememberFailure = new AtomicReference<>();
    private final Object lock = new Object();
    private SshClient client;
    private ClientSession session;
    private KeyPair identity;
    private Integer remoteUid;
    private boolean closed;
    /** The kept-open shell for commands without stdin (see {@link RemoteShell}); one command at a time. */
    private final ReentrantLock shellLock = new ReentrantLock();
    private RemoteShell shell;
    private ClientSession shellSession;
    /** Why the kept-open shell could not start on this host (then every command gets its own channel). */
    private volatile String persistentShellBroken;

    private SshExecutor(Builder b) {
        this.user = b.user;
        this.host = b.host;
        this.port = b.port;
        this.identityFile = Objects.requireNonNull(b.identityFile, "identityFile");
        this.knownHosts = b.knownHosts != null ? b.knownHosts
                : io.cryptvol.session.Dirs.ssh().resolve("known_hosts");
        this.policy = b.policy;
        this.defaultTimeout = b.defaultTimeout;
        this.connectTimeout = b.connectTimeout;
        this.persistentShell = b.persistentShell;
    }

    public static Builder builder(String user, String host) {
        return new Builder(user, host);
    }

    public static final class Builder {
        private final String user;
        private final String host;
        private int port = 22;
        private Path identityFile;
        private Path knownHosts;
        private HostKeyPolicy policy = HostKeyPolicy.REFUSE_UNKNOWN;
        private Duration defaultTimeout = DEFAULT_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private boolean persistentShell = true;

        private Builder(String user, String host) {
            this.user = Objects.requireNonNull(user, "user");
            this.host = Objects.requireNonNull(host, "host");
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** OpenSSH private key file (unencrypted). Required. */
        public Builder identityFile(Path file) {
            this.identityFile = file;
            return this;
        }

        /** known_hosts file; default ~/.ssh/known_hosts. */
        public Builder knownHosts(Path file) {
            this.knownHosts = file;
            return this;
        }

        public Builder hostKeyPolicy(HostKeyPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Timeout for commands that carry none; default 10 minutes. */
        public Builder defaultTimeout(Duration timeout) {
            this.defaultTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Timeout for TCP connect, key exchange and authentication each; default 20 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Whether commands without stdin run in one kept-open remote shell (default) rather than on an exec
         * channel each. Commands with stdin always get their own channel.
         */
        public Builder persistentShell(boolean on) {
            this.persistentShell = on;
            return this;
        }

        public SshExecutor build() {
            return new SshExecutor(this);
        }
    }

    @Override
    public String target() {
        return user + "@" + host + ":" + port;
    }

    /** Number of SSH sessions opened (authenticated) so far; 1 for a healthy executor. */
    /** Whether the session's SSH connection is open now (tests wait on it after dropping the connection). */
    boolean sessionOpen() {
        synchronized (lock) {
            return session != null && session.isOpen();
        }
    }

    public int sessionsOpened() {
        return sessionsOpened.get();
    }

    /** SHA256 fingerprint of a host key accepted and appended to known_hosts by this executor, or null. */
    public String rememberedHostKey() {
        return rememberedHostKey.get();
    }

    public Path knownHostsFile() {
        return knownHosts;
    }

    /** SHA256 fingerprint of an unknown host key trusted for this executor only (not written anywhere), or null. */
    public String sessionHostKey() {
        PublicKey k = sessionHostKey.get();
        return k == null ? null : KeyUtils.getFingerPrint(k);
    }

    /** Connects now (no-op when connected), so that host key and auth problems surface early. */
    public void connect() {
        session();
    }

    /** True when the remote user is root (commands then run without sudo). Connects if needed. */
    public boolean remoteRoot() {
        session();
        return remoteUid == 0;
    }

    @Override
    public ExecResult run(HostCommand command) {
        ClientSession s = session();
        boolean viaSudo = command.privileged() && remoteUid != 0;
        List<String> argv = viaSudo ? Sudo.prefix("sudo", command.argv()) : command.argv();
        Duration timeout = command.timeout() != null ? command.timeout() : defaultTimeout;
        String line = ShellQuote.join(argv);
        ExecResult result = null;
        boolean noStdin = command.stdin() == null || command.stdin().length == 0;
        boolean shellSafe = noStdin && !RemoteShell.AFFECTS_SHELL.contains(argv.get(0));
        // a second caller while the shell is busy (a progress poll during a long write) gets its own channel
        if (persistentShell && persistentShellBroken == null && shellSafe && shellLock.tryLock()) {
            try {
                result = inShell(s, line, timeout, command);
            } finally {
                shellLock.unlock();
            }
        }
        if (result == null) {
            result = exec(s, line, command.stdin(), timeout, command);
        }
        return Sudo.checked(result, viaSudo, target(), user, command.argv());
    }

    /** The command on its own exec channel, stdin and stdout held open for the caller (stderr collected). */
    @Override
    public Conversation converse(HostCommand command) {
        ClientSession s = session();
        boolean viaSudo = command.privileged() && remoteUid != 0;
        List<String> argv = viaSudo ? Sudo.prefix("sudo", command.argv()) : command.argv();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long start = System.nanoTime();
        ChannelExec channel = null;
        try {
            channel = s.createExecChannel(ShellQuote.join(argv));
            channel.setErr(err); // no setIn/setOut: the channel's inverted streams are ours to use
            channel.open().verify(connectTimeout);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close(true);
            }
            if (!s.isOpen()) {
                throw lost(command, e);
            }
            throw new HostExecutionException("could not start on " + target() + ": " + command.commandLine() + " ("
                    + oneLine(e) + ")", e);
        }
        ChannelExec ch = channel;
        return new Conversation(command, ch.getInvertedOut(), ch.getInvertedIn(), timeout -> {
            int status = awaitExit(ch, timeout.toMillis(), timeout, command);
            return Sudo.checked(new ExecResult(status, new byte[0], err.toByteArray(),
                    Duration.ofNanos(System.nanoTime() - start)), viaSudo, target(), user, command.argv());
        }, () -> {
            signal(ch, "TERM");
            ch.close(true);
        });
    }

    /**
     * The command in the kept-open shell (started on first use, and again after a timeout or a lost
     * connection). Null when the shell cannot be started: the caller then uses a channel of its own.
     */
    private ExecResult inShell(ClientSession s, String line, Duration timeout, HostCommand command) {
        if (shell == null || !shell.isOpen() || shellSession != s) {
            closeShell();
            try {
                shell = RemoteShell.open(s, connectTimeout);
                shellSession = s;
            } catch (IOException e) {
                if (!s.isOpen()) {
                    throw lost(command, e);
                }
                persistentShellBroken = oneLine(e);
                return null;
            }
        }
        ExecResult r;
        try {
            r = shell.run(line, timeout);
        } catch (IOException e) {
            closeShell();
            throw lost(command, e);
        }
        if (r == null) {
            // overran: TERM to the command (the shell's child), then a fresh shell for the next command
            long pid = shell.pid();
            closeShell();
            try {
                exec(s, "pkill -TERM -P " + pid, null, connectTimeout, command);
            } catch (RuntimeException ignored) {
                // best effort, as the signal on a channel of its own
            }
            throw timedOut(timeout, command);
        }
        return r;
    }

    private HostExecutionException timedOut(Duration timeout, HostCommand command) {
        return new HostExecutionException("timed out after " + Sudo.format(timeout) + " on " + target() + ": "
                + command.commandLine());
    }

    private void closeShell() {
        if (shell != null) {
            shell.close();
            shell = null;
            shellSession = null;
        }
    }

    private ExecResult exec(ClientSession s, String line, byte[] stdin, Duration timeout, HostCommand command) {
        long start = System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ChannelExec channel = null;
        try {
            channel = s.createExecChannel(line);
            // always give the remote process an stdin that ends, so that nothing waits for input forever
            channel.setIn(new ByteArrayInputStream(stdin == null ? new byte[0] : stdin));
            channel.setOut(out);
            channel.setErr(err);
            channel.open().verify(timeout);
            long left = timeout.toMillis() - Duration.ofNanos(System.nanoTime() - start).toMillis();
            int status = awaitExit(channel, left, timeout, command);
            return new ExecResult(status, out.toByteArray(), err.toByteArray(),
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (HostExecutionException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (!s.isOpen()) {
                throw lost(command, e);
            }
            throw new HostExecutionException("could not run on " + target() + ": " + command.commandLine() + " ("
                    + oneLine(e) + ")", e);
        } finally {
            if (channel != null && channel.isOpen()) {
                channel.close(true);
            }
        }
    }

    /**
     * Waits up to {@code waitMs} for the channel to close and returns the command's exit status (128 + N for a
     * signal). On a timeout the remote process is sent TERM and the channel closed; a missing status means
     * the connection was lost.
     */
    private int awaitExit(ChannelExec channel, long waitMs, Duration timeout, HostCommand command) {
        Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Math.max(1, waitMs));
        if (events.contains(ClientChannelEvent.TIMEOUT)) {
            signal(channel, "TERM");
            channel.close(true);
            throw timedOut(timeout, command);
        }
        Integer status = channel.getExitStatus();
        if (status != null) {
            return status;
        }
        String sig = channel.getExitSignal();
        if (sig == null) {
            throw lost(command, null);
        }
        return 128 + signalNumber(sig);
    }

    private HostExecutionException lost(HostCommand command, Exception cause) {
        synchronized (lock) {
            if (session != null && !session.isOpen()) {
                session = null; // the next command reconnects
            }
        }
        return new HostExecutionException("connection to " + target() + " lost while running: "
                + command.commandLine() + "; it may or may not have completed on the host", cause);
    }

    /** Asks the server to signal the remote process (RFC 4254 6.9); best effort. */
    private static void signal(ChannelExec channel, String name) {
        try {
            Buffer buf = channel.getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, name.length() + 32);
            buf.putUInt(channel.getRecipient());
            buf.putString("signal");
            buf.putBoolean(false);
            buf.putString(name);
            channel.writePacket(buf);
        } catch (IOException | RuntimeException ignored) {
            // closing the channel follows anyway
        }
    }

    private static int signalNumber(String name) {
        Map<String, Integer> numbers = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "ABRT", 6, "KILL", 9,
                "SEGV", 11, "PIPE", 13, "ALRM", 14, "TERM", 15);
        return numbers.getOrDefault(name, 127);
    }

    private ClientSession session() {
        synchronized (lock) {
            if (closed) {
                throw new HostExecutionException("SSH connection to " + target() + " is closed");
            }
            if (session != null && session.isOpen()) {
                return session;
            }
            session = null;
            if (identity == null) {
                identity = loadIdentity(identityFile);
            }
            if (client == null) {
                client = newClient();
                client.start();
            }
            ClientSession s = open();
            if (remoteUid == null) {
                try {
                    ExecResult id = exec(s, "id -u", null, connectTimeout, HostCommand.of("id -u", "id", "-u"));
                    try {
                        remoteUid = Integer.parseInt(id.out().trim());
                    } catch (NumberFormatException e) {
                        throw new HostExecutionException("cannot tell the remote user's uid on " + target()
                                + ": `id -u` printed '" + id.out().trim() + "'");
                    }
                } catch (HostExecutionException e) {
                    closeQuietly(s);
                    throw e;
                }
            }
            session = s;
            return s;
        }
    }

    private ClientSession open() {
        hostKeyRejection.set(null);
        rememberFailure.set(null);
        ClientSession s;
        try {
            s = client.connect(user, host, port).verify(connectTimeout).getSession();
        } catch (IOException | RuntimeException e) {
            throw new HostExecutionException("cannot connect to " + target() + ": " + connectFailure(e, connectTimeout), e);
        }
        try {
            s.addPublicKeyIdentity(identity);
            s.auth().verify(connectTimeout);
        } catch (IOException | RuntimeException e) {
            closeQuietly(s);
            String rejection = hostKeyRejection.get();
            if (rejection != null) {
                throw new HostExecutionException(rejection, e);
            }
            throw new HostExecutionException("cannot log in to " + target() + " with key " + identityFile.getFileName()
                    + ": " + oneLine(e), e);
        }
        String notRemembered = rememberFailure.get();
        if (notRemembered != null) {
            closeQuietly(s);
            rememberedHostKey.set(null);
            throw new HostExecutionException(notRemembered);
        }
        sessionsOpened.incrementAndGet();
        return s;
    }

    private SshClient newClient() {
        SshClient c = SshClient.setUpDefaultClient();
        c.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY); // never read ~/.ssh/config
        c.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER); // only the given identity
        c.setPasswordIdentityProvider(PasswordIdentityProvider.EMPTY_PASSWORDS_PROVIDER);
        c.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        c.setServerKeyVerifier(new HostKeyCheck(knownHosts));
        // long silent commands (zeroing a volume) must not trip the idle timeout; heartbeats keep NATs open
        CoreModuleProperties.IDLE_TIMEOUT.set(c, Duration.ofDays(7));
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(c, Duration.ofSeconds(30));
        return c;
    }

    private static KeyPair loadIdentity(Path file) {
        List<KeyPair> pairs = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            Iterable<KeyPair> loaded = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()),
                    in, FilePasswordProvider.EMPTY);
            if (loaded != null) {
                loaded.forEach(pairs::add);
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new HostExecutionException("cannot load SSH identity " + file + ": " + oneLine(e)
                    + " (an unencrypted OpenSSH ECDSA or RSA key is expected)", e);
        }
        if (pairs.isEmpty()) {
            throw new HostExecutionException("no private key found in SSH identity " + file);
        }
        return pairs.get(0);
    }

    /**
     * Why a TCP connect failed, as ssh says it ("connection refused"), not as MINA's future does
     * ("DefaultConnectFuture[…]: Failed (ConnectException) to execute: …"): the socket's own cause, named.
     */
    static String connectFailure(Throwable e, Duration timeout) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(java.util.Locale.ROOT);
                return m.contains("timed out") ? "timed out" : "connection refused";
            }
            if (t instanceof java.net.UnknownHostException || t instanceof java.nio.channels.UnresolvedAddressException) {
                return "unknown host";
            }
            if (t instanceof java.net.NoRouteToHostException) {
                return "no route to host";
            }
            if (t instanceof java.net.SocketTimeoutException || t instanceof java.util.concurrent.TimeoutException
                    || t instanceof java.io.InterruptedIOException) {
                return "no answer in " + timeout.toSeconds() + " s";
            }
        }
        String m = oneLine(e);
        if (m.contains("timeout") || m.contains("Timeout")) {
            return "no answer in " + timeout.toSeconds() + " s";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return oneLine(root);
    }

    private static String oneLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t.getMessage().isBlank())) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }

    private static void closeQuietly(ClientSession s) {
        try {
            s.close(true);
        } catch (RuntimeException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        if (shellLock.tryLock()) {
            try {
                closeShell();
            } finally {
                shellLock.unlock();
            }
        }
        synchronized (lock) {
            closed = true;
            if (session != null) {
                closeQuietly(session);
                session = null;
            }
            if (client != null) {
                client.stop();
                client = null;
            }
        }
    }

    /** known_hosts check that remembers why it refused, so the exception can say it in one line. */
    private final class HostKeyCheck extends KnownHostsServerKeyVerifier {
        HostKeyCheck(Path file) {
            super((session, remote, key) -> acceptUnknown(key), file);
            setModifiedServerKeyAcceptor(this::refuseChanged);
        }

        @Override
        protected boolean acceptIncompleteHostKeys(ClientSession s, SocketAddress remote, PublicKey key,
                                                   Throwable reason) {
            hostKeyRejection.set("cannot read known_hosts file " + getPath() + " (" + oneLine(reason)
                    + "); refusing to connect to " + target());
            return false;
        }

        @Override
        protected KnownHostEntry updateKnownHostsFile(ClientSession s, SocketAddress remote, PublicKey key, Path file,
                                                      Collection<HostEntryPair> knownHosts) throws Exception {
            if (policy == HostKeyPolicy.ACCEPT_FOR_SESSION) {
                return null; // trusted in memory only: the file stays byte for byte as it was
            }
            return super.updateKnownHostsFile(s, remote, key, file, knownHosts);
        }

        @Override
        protected void handleKnownHostsFileUpdateFailure(ClientSession s, SocketAddress remote, PublicKey key,
                                                         Path file, Collection<HostEntryPair> knownHosts,
                                                         Throwable reason) {
            rememberFailure.set("could not add the host key " + KeyUtils.getFingerPrint(key) + " of " + target()
                    + " to " + file + " (" + oneLine(reason) + "); not connecting with a key that is not remembered");
        }

        private boolean refuseChanged(ClientSession s, SocketAddress remote, KnownHostEntry entry, PublicKey expected,
                                      PublicKey actual) {
            hostKeyRejection.set("HOST KEY CHANGED for " + target() + ": " + getPath() + " has "
                    + KeyUtils.getKeyType(expected) + " " + KeyUtils.getFingerPrint(expected)
                    + " but the server presented " + KeyUtils.getKeyType(actual) + " " + KeyUtils.getFingerPrint(actual)
                    + "; refusing to connect (if the instance was rebuilt, verify the new key and remove the old"
                    + " line from " + getPath() + ")");
            return false;
        }
    }

    private boolean acceptUnknown(PublicKey key) {
        String fingerprint = KeyUtils.getFingerPrint(key);
        if (policy == HostKeyPolicy.ACCEPT_FOR_SESSION) {
            PublicKey trusted = sessionHostKey.updateAndGet(k -> k == null ? key : k);
            if (KeyUtils.compareKeys(trusted, key)) {
                return true;
            }
            hostKeyRejection.set("HOST KEY CHANGED for " + target() + " within this session: it presented "
                    + KeyUtils.getFingerPrint(trusted) + " before and " + fingerprint + " now; refusing to connect");
            return false;
        }
        if (policy == HostKeyPolicy.ACCEPT_AND_REMEMBER) {
            try {
                Path dir = knownHosts.toAbsolutePath().getParent();
                if (dir != null && !Files.isDirectory(dir)) {
                    Files.createDirectories(dir);
                    try {
                        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                    } catch (UnsupportedOperationException ignored) {
                        // not POSIX
                    }
                }
            } catch (IOException e) {
                hostKeyRejection.set("cannot create the directory of " + knownHosts + " to remember the host key of "
                        + target() + ": " + oneLine(e));
                return false;
            }
            rememberedHostKey.set(fingerprint);
            return true;
        }
        hostKeyRejection.set("unknown host key for " + target() + ": " + KeyUtils.getKeyType(key) + " " + fingerprint
                + " is not in " + knownHosts + "; compare it with the instance's own key (e.g. its console output)"
                + " and accept it explicitly to connect");
        return false;
    }

    @Override
    public String toString() {
        return "SshExecutor[" + target() + "]";
    }
}
