package io.cryptvol.sandbox.ssm;

import io.cryptvol.sandbox.QemuInstance;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.EnumSet;
import java.util.regex.Pattern;

/**
 * The SSM agent of a sandbox instance: runs each invocation's script as root in the test instance, reached over
 * the instance's own SSH (the sandbox holds its root key; the host key is checked against the instance's
 * known_hosts). As the real agent does, it keeps the script and what it printed in the instance's orchestration
 * directory ({@code /var/lib/amazon/ssm/INSTANCE/document/orchestration/COMMAND/awsrunShellScript/0.awsrunShellScript/}:
 * {@code _script.sh}, {@code stdout}, {@code stderr}), so that a test can scan the guest for what SSM left there.
 */
public final class SshAgent implements SsmAgent {
    public static final String ORCHESTRATION = "/var/lib/amazon/ssm/%s/document/orchestration/%s/awsrunShellScript/0.awsrunShellScript";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9-]+");

    private final String instanceId;
    private final QemuInstance vm;
    private final Object lock = new Object();
    private SshClient client;
    private ClientSession session;

    public SshAgent(String instanceId, QemuInstance vm) {
        if (!SAFE.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("not an instance id: " + instanceId);
        }
        this.instanceId = instanceId;
        this.vm = vm;
    }

    @Override
    public Outcome run(String commandId, String script, Duration timeout) throws Exception {
        if (!SAFE.matcher(commandId).matches()) {
            throw new IllegalArgumentException("not a command id: " + commandId);
        }
        String dir = String.format(ORCHESTRATION, instanceId, commandId);
        long secs = Math.max(1, timeout.toSeconds());
        String remote = "umask 077; d=" + dir + "; mkdir -p $d && cat > $d/_script.sh"
                + " && { timeout -k 5 " + secs + " sh $d/_script.sh </dev/null >$d/stdout 2>$d/stderr; rc=$?;"
                + " cat $d/stdout; cat $d/stderr >&2; exit $rc; }";
        ClientSession s = session();
        try (ChannelExec ch = s.createExecChannel(remote)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ch.setIn(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)));
            ch.setOut(out);
            ch.setErr(err);
            ch.open().verify(Duration.ofSeconds(20));
            ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), timeout.plusSeconds(30).toMillis());
            Integer rc = ch.getExitStatus();
            if (rc == null) {
                throw new IllegalStateException("the instance's shell ended without an exit status");
            }
            return new Outcome(rc, out.toByteArray(), err.toByteArray(), rc == 124);
        }
    }

    @Override
    public String computerName() {
        return "ip-10-0-2-15";
    }

    private ClientSession session() throws Exception {
        synchronized (lock) {
            if (session != null && session.isOpen()) {
                return session;
            }
            if (client == null) {
                client = SshClient.setUpDefaultClient();
                client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
                client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
                client.setServerKeyVerifier(new KnownHostsServerKeyVerifier(RejectAllServerKeyVerifier.INSTANCE,
                        vm.knownHostsFile()));
                CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ofDays(1));
                client.start();
            }
            ClientSession s = client.connect(vm.user(), vm.sshHost(), vm.sshPort()).verify(Duration.ofSeconds(20)).getSession();
            s.addPublicKeyIdentity(identity(vm.identityFile()));
            s.auth().verify(Duration.ofSeconds(20));
            session = s;
            return s;
        }
    }

    private static KeyPair identity(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            for (KeyPair k : SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(file.toString()), in,
                    FilePasswordProvider.EMPTY)) {
                return k;
            }
        }
        throw new IllegalStateException("no key in " + file);
    }

    @Override
    public void close() {
        synchronized (lock) {
            try {
                if (session != null) {
                    session.close(true);
                }
                if (client != null) {
                    client.stop();
                }
            } catch (Exception ignored) {
                // the instance may be gone already
            }
            session = null;
            client = null;
        }
    }
}
