package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.KmsGateway;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.unlock.UnlockPolicyService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wiring of the unattended unlock (#18): KMS through the session's AWS settings, observation through the stages'. */
@Configuration(proxyBeanMethods = false)
public class UnlockPolicyConfig {

    @Bean
    public UnlockPolicyService unlockPolicyService(PlanRunner.KeySource keys, StageSupport stages, AwsAccess aws) {
        return new UnlockPolicyService(keys, stages::observer, stages::remember, new KmsGateway(aws::clients));
    }
}
