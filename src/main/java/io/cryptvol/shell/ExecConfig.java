package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.LocalExecutor;
import io.cryptvol.exec.SshExecutor;
import io.cryptvol.exec.TranscribingExecutor;
import io.cryptvol.exec.Transcript;
import io.cryptvol.session.Dirs;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** How the session reaches its target: one executor per target, created on first use, transcribed. */
@Configuration(proxyBeanMethods = false)
public class ExecConfig {

    @Bean
    public Transcript transcript() {
        return new Transcript(Dirs.state().resolve("transcript.log"));
    }

    @Bean(destroyMethod = "close")
    public HostAccess hostAccess(SessionContext ctx, Transcript transcript, io.cryptvol.session.SessionMode mode) {
        // session-wide dry-run (replay --dry-run) is enforced here, under every command
        return new HostAccess(ctx, (target, acceptNew) ->
                mode.guard(new TranscribingExecutor(open(target, acceptNew), transcript)));
    }

    static HostExecutor open(Target t, boolean acceptNewHostKey) {
        if (t.isLocal()) {
            return new LocalExecutor();
        }
        SshExecutor ssh = SshExecutor.builder(t.user(), t.host())
                .port(t.port())
                .identityFile(identity(t))
                .knownHosts(t.knownHosts() == null ? null : Path.of(t.knownHosts()))
                .hostKeyPolicy(acceptNewHostKey ? SshExecutor.HostKeyPolicy.ACCEPT_AND_REMEMBER
                        : SshExecutor.HostKeyPolicy.REFUSE_UNKNOWN)
                .build();
        ssh.connect();
        return ssh;
    }

    /** The identity file given, or the first of the usual ones in ~/.ssh. */
    static Path identity(Target t) {
        if (t.identityFile() != null) {
            return Path.of(t.identityFile());
        }
        Path ssh = Dirs.ssh();
        for (String n : List.of("id_ed25519", "id_ecdsa", "id_rsa")) {
            if (Files.isReadable(ssh.resolve(n))) {
                return ssh.resolve(n);
            }
        }
        throw new CryptvolException("no SSH identity for " + t.display() + ": pass --identity FILE", 2, null);
    }
}
