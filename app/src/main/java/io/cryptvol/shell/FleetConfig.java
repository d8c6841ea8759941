package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.fleet.FleetService;
import io.cryptvol.record.Replayer;
import io.cryptvol.session.Prompt;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wiring of {@code fleet replay}. */
@Configuration(proxyBeanMethods = false)
public class FleetConfig {

    @Bean
    public FleetService fleetService(AwsAccess aws, Replayer replayer, Prompt prompt) {
        return new FleetService(aws, replayer, prompt);
    }
}
