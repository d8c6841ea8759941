package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.record.Replayer;
import io.cryptvol.session.ContextState;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * The product without the sandbox jar: it starts as usual, and each way into the sandbox ({@code --sandbox},
 * {@code replay --rehearse}, and {@code sandbox …} through {@link SandboxAbsentCommands}) fails with the one
 * line {@link SandboxPresence#MISSING}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnMissingClass(SandboxPresence.MARKER_CLASS)
public class SandboxAbsentConfig {

    static CryptvolException missing() {
        return new CryptvolException(SandboxPresence.MISSING, ExitCode.FAILED, null);
    }

    @Bean
    public SandboxPresence sandboxPresence() {
        return new SandboxPresence() {
            @Override
            public boolean installed() {
                return false;
            }

            @Override
            public boolean running() {
                return false;
            }
        };
    }

    /** {@code cryptvol --sandbox} without the sandbox: the line, before the shell takes a command. */
    @Bean
    @Order(-100)
    @ConditionalOnProperty(name = "cryptvol.sandbox", havingValue = "true")
    public ApplicationRunner sandboxOnStart() {
        return args -> {
            throw missing();
        };
    }

    /** {@code replay --rehearse} without the sandbox: refused when the rehearsal would start it. */
    @Bean
    public Replayer.Stage rehearsalStage() {
        return new Replayer.Stage() {
            @Override
            public boolean running() {
                return false;
            }

            @Override
            public String enter(ContextState before) {
                throw missing();
            }

            @Override
            public String breach() {
                return null;
            }

            @Override
            public void leave(ContextState before) {
            }
        };
    }
}
