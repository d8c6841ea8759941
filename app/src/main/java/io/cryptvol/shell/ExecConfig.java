package io.cryptvol.shell;

import io.cryptvol.ExitCode;
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
    public HostAccess hostAccess(SessionContext ctx, Transcript transcript, io.cryptvol.session.SessionMode mode, Ui ui,
                                 io.cryptvol.aws.AwsAccess aws) {
        // session-wide dry-run (replay --dry-run) is enforced here, under every command; in a dry run a new host
        // key is trusted in memory only, so that known_hosts stays as it was
        return new HostAccess(ctx, (target, acceptNew) -> {
            HostExecutor ex = target.isSsm() ? io.cryptvol.exec.SsmExecutor.open(aws.clients(), target.host(), target.outputS3())
                    : open(target, mode.newHostKeys(acceptNew));
            if (ex instanceof SshExecutor ssh && ssh.sessionHostKey() != null) {
                ui.warn("dry run: the new host key " + ssh.sessionHostKey() + " of " + ssh.target()
                        + " is trusted for this dry run only, in memory; " + ssh.knownHostsFile() + " is not changed");
            }
            return mode.guard(new TranscribingExecutor(ex, transcript));
        }, mode);
    }

    static HostExecutor open(Target t, SshExecutor.HostKeyPolicy policy) {
        if (t.isLocal()) {
            return new LocalExecutor();
        }
        checkIdentityExists(t);
        SshExecutor ssh = SshExecutor.builder(t.user(), t.host())
                .port(t.port())
                .identityFile(identity(t))
                .knownHosts(t.knownHosts() == null ? null : Path.of(t.knownHosts()))
                .hostKeyPolicy(policy)
                .build();
        ssh.connect();
        return ssh;
    }

    /**
     * A target whose identity file is gone cannot be reached: one line that says what is gone and how to go
     * on (the sandbox's instance key goes with the sandbox).
     */
    static void checkIdentityExists(Target t) {
        if (t.identityFile() == null || Files.exists(Path.of(t.identityFile()))) {
            return;
        }
        Path id = Path.of(t.identityFile()).toAbsolutePath().normalize();
        if (id.startsWith(io.cryptvol.session.Dirs.sandbox().toAbsolutePath().normalize())) {
            throw new CryptvolException("the target " + t.display() + " was the sandbox, which is not running: "
                    + "'sandbox start' (or scripts/cryptvol --sandbox) goes back to it; 'connect local' or "
                    + "'connect USER@HOST' works elsewhere", ExitCode.FAILED, null);
        }
        throw new CryptvolException("cannot reach " + t.display() + ": its identity file " + id + " is gone; "
                + "'connect " + t.display() + " --identity FILE' or 'connect local' to go on", ExitCode.FAILED, null);
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
        throw new CryptvolException("no SSH identity for " + t.display() + ": pass --identity FILE", ExitCode.USAGE, null);
    }
}
