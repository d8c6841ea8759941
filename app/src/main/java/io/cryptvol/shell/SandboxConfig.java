package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.record.Replayer;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.ContextStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ApplicationEventPublisher;
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

    /** {@code cryptvol --sandbox}: start the sandbox before the shell takes the first command. */
    @Bean
    @Order(-100)
    @ConditionalOnProperty(name = "cryptvol.sandbox", havingValue = "true")
    public ApplicationRunner sandboxOnStart(SandboxCommands commands) {
        return args -> commands.start();
    }

    /** The session's way into and out of the sandbox (its context kept apart from the session's file). */
    @Bean
    public SandboxSession sandboxSession(Sandbox sandbox, HostAccess hosts, SessionContext ctx, ContextStore store,
                                         ApplicationEventPublisher events) {
        return new SandboxSession(sandbox, hosts, ctx, store, events);
    }

    /** Where {@code replay --rehearse} runs a script first: a fresh sandbox. */
    @Bean
    public Replayer.Stage rehearsalStage(Sandbox sandbox, HostAccess hosts, SessionContext ctx, AwsAccess aws,
                                         SandboxSession session, Ui ui) {
        return new SandboxRehearsal(sandbox, hosts, ctx, aws, session, ui);
    }

    /** EBS commands follow the sandbox's endpoint while it runs. */
    @Bean
    public AwsConfig.SandboxEndpointFollower sandboxEndpointFollower(AwsAccess aws) {
        return new AwsConfig.SandboxEndpointFollower(aws);
    }
}
