package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.record.Replayer;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.ContextStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * The sandbox's beans, made only when its classes are on the class path (the condition is read from the
 * class file, so this class is never loaded without them). {@link SandboxCommands} carries the same
 * condition; {@link SandboxAbsentConfig} is the other side.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(name = SandboxPresence.MARKER_CLASS)
public class SandboxConfig {

    @Bean(destroyMethod = "close")
    public Sandbox sandbox() {
        return SandboxCommands.create();
    }

    @Bean
    public SandboxPresence sandboxPresence(Sandbox sandbox) {
        return new SandboxPresence() {
            @Override
            public boolean installed() {
                return true;
            }

            @Override
            public boolean running() {
                return sandbox.running();
            }
        };
    }

    /**
     * {@code cryptvol --sandbox}: start the sandbox before the shell takes the first command. The flag is read
     * when the shell starts, not as a bean condition: Spring AOT (the launcher's mode) fixes the set of beans
     * when the jar is built, so a condition on a run-time property would be decided once, at build time.
     */
    @Bean
    @Order(-100)
    public ApplicationRunner sandboxOnStart(SandboxCommands commands, org.springframework.core.env.Environment env) {
        return args -> {
            if (env.getProperty("cryptvol.sandbox", Boolean.class, false)) {
                commands.start();
            }
        };
    }

    /** The session's way into and out of the sandbox (its context kept apart from the session's file). */
    @Bean
    public SandboxSession sandboxSession(Sandbox sandbox, HostAccess hosts, SessionContext ctx, ContextStore store,
                                         AwsAccess aws) {
        return new SandboxSession(sandbox, hosts, ctx, store, aws);
    }

    /** Where {@code replay --rehearse} runs a script first: a fresh sandbox. */
    @Bean
    public Replayer.Stage rehearsalStage(Sandbox sandbox, HostAccess hosts, SessionContext ctx, AwsAccess aws,
                                         SandboxSession session, Ui ui) {
        return new SandboxRehearsal(SandboxRehearsal.of(sandbox), hosts, ctx, aws, session, ui);
    }
}
