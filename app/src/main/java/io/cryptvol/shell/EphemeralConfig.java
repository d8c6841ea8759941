package io.cryptvol.shell;

import io.cryptvol.ephemeral.EphemeralService;
import io.cryptvol.exec.PlanRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wiring of the ephemeral scratch (issue 19). */
@Configuration(proxyBeanMethods = false)
public class EphemeralConfig {

    @Bean
    public EphemeralService ephemeralService(PlanRunner.KeySource keys, StageSupport stages) {
        return new EphemeralService(keys, stages::observer, stages::remember);
    }

    @Bean
    public org.springframework.shell.completion.CompletionProvider ephemeralUseCompletion() {
        return ctx -> java.util.stream.Stream.of("swap", "tmp", "mountpoint")
                .map(org.springframework.shell.CompletionProposal::new).toList();
    }
}
