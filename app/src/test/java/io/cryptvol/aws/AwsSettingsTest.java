package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AwsSettingsTest {

    @Test
    void endpointFromSettingThenEnvironment() {
        Map<String, String> env = Map.of(AwsSettings.ENDPOINT_ENV, "http://127.0.0.1:4566");
        assertThat(AwsSettings.resolve(null, null, null, env).endpoint()).isEqualTo(URI.create("http://127.0.0.1:4566"));
        assertThat(AwsSettings.resolve(null, null, "https://ec2.vpce.example:443", env).endpoint().getHost())
                .isEqualTo("ec2.vpce.example");
        assertThat(AwsSettings.resolve(" ", "", "", Map.of())).isEqualTo(new AwsSettings(null, null, null, 5, false));
        assertThatThrownBy(() -> AwsSettings.resolve(null, null, "not a url", Map.of()))
                .isInstanceOf(CryptvolException.class).hasMessageContaining("not an EC2 endpoint URL");
    }

    @Test
    void onlyLiteralLoopbackEndpointsAreTheSandbox() {
        for (String s : List.of("http://127.0.0.1:1234", "http://localhost:1", "http://127.8.9.10", "http://[::1]:80")) {
            assertThat(AwsSettings.resolve(null, null, s, Map.of()).isSandbox()).as(s).isTrue();
        }
        for (String s : List.of("https://ec2.us-east-1.amazonaws.com", "http://10.0.0.1:80", "http://localhost.evil.example")) {
            assertThat(AwsSettings.resolve(null, null, s, Map.of()).isSandbox()).as(s).isFalse();
        }
        assertThat(AwsSettings.resolve(null, null, null, Map.of()).isSandbox()).isFalse();
    }

    @Test
    void clientsAreLazyAndTheSandboxNeedsNoConfiguration() {
        try (Ec2Clients clients = new Ec2Clients(AwsSettings.resolve(null, null, "http://127.0.0.1:9", Map.of()))) {
            assertThat(clients.region()).isEqualTo("us-east-1");
            // nothing listens on port 9: the failure is one line naming the call, after the retries
            assertThatThrownBy(() -> new EbsGateway(clients, EbsOptions.sandbox()).describeInstance("i-1"))
                    .isInstanceOf(CryptvolException.class).hasMessageStartingWith("cannot reach EC2 for DescribeInstances:");
        }
    }
}
