package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
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

    /** Issue 17 item 12: the sandbox is a setting it makes, never inferred from the address. */
    @Test
    void theSandboxIsAnExplicitSettingNeverTheAddress() {
        record Row(String endpoint, boolean flag, Map<String, String> env, Boolean sandbox) {
        }
        Map<String, String> none = Map.of();
        Map<String, String> envFlag = Map.of(AwsSettings.SANDBOX_ENV, "1");
        List<Row> rows = List.of(
                // loopback without the flag: a real endpoint tunnelled to localhost
                new Row("http://127.0.0.1:1234", false, none, false),
                new Row("http://localhost:1", false, none, false),
                new Row("http://127.8.9.10", false, none, false),
                new Row("http://[::1]:80", false, none, false),
                new Row("http://127.0.0.1:1234", false, Map.of(AwsSettings.SANDBOX_ENV, "0"), false),
                // said so: by the setting, or by the environment
                new Row("http://127.0.0.1:1234", true, none, true),
                new Row("http://[::1]:80", true, none, true),
                new Row("http://localhost:1", false, envFlag, true),
                new Row("http://127.0.0.1:1234", false, Map.of(AwsSettings.SANDBOX_ENV, "true"), true),
                new Row(null, false, Map.of(AwsSettings.ENDPOINT_ENV, "http://127.0.0.1:9", AwsSettings.SANDBOX_ENV, "yes"), true),
                // real endpoints are never the sandbox; saying they are is refused (null: refused)
                new Row("https://ec2.us-east-1.amazonaws.com", false, none, false),
                new Row("http://10.0.0.1:80", false, none, false),
                new Row("https://ec2.us-east-1.amazonaws.com", true, none, null),
                new Row("http://localhost.evil.example", false, envFlag, null),
                new Row(null, true, none, null),
                new Row(null, false, none, false));
        for (Row r : rows) {
            if (r.sandbox() == null) {
                assertThatThrownBy(() -> AwsSettings.resolve(null, null, r.endpoint(), r.flag(), r.env())).as(r.toString())
                        .isInstanceOf(CryptvolException.class).hasMessageStartingWith("the sandbox setting needs the sandbox's local endpoint");
            } else {
                assertThat(AwsSettings.resolve(null, null, r.endpoint(), r.flag(), r.env()).isSandbox()).as(r.toString())
                        .isEqualTo(r.sandbox());
            }
        }
        assertThat(AwsSettings.sandbox(URI.create("http://127.0.0.1:4566")).isSandbox()).isTrue();
        assertThat(AwsSettings.sandbox(URI.create("http://127.0.0.1:4566")).withRegion("us-west-2").withMaxAttempts(2).isSandbox()).isTrue();
    }

    /**
     * A loopback endpoint that is not the sandbox (a real one tunnelled to localhost) is signed with the real
     * credential chain and polled at the normal pace; the sandbox's with the dummy key and quickly.
     */
    @Test
    void aRealEndpointOnLoopbackUsesTheRealCredentialChainAndNormalPolling() throws Exception {
        List<String> authorizations = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", ex -> {
            authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            byte[] body = ("<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID "
                    + "'i-0123456789abcdef0' does not exist</Message></Error></Errors><RequestID>r</RequestID></Response>")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.sendResponseHeaders(400, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        http.start();
        String endpoint = "http://127.0.0.1:" + http.getAddress().getPort();
        String before = System.getProperty("aws.accessKeyId");
        String beforeSecret = System.getProperty("aws.secretAccessKey");
        System.setProperty("aws.accessKeyId", "AKIDFROMTHECHAIN"); // the first link of the SDK's default chain
        System.setProperty("aws.secretAccessKey", "secret");
        try (AwsAccess real = new AwsAccess(null, "us-east-1", endpoint, Map.of(), EbsOptions.defaults(), null, 1, null);
             AwsAccess sandbox = new AwsAccess(null, null, endpoint, true, Map.of(), EbsOptions.defaults(), null, 1, null)) {
            assertThat(real.settings().isSandbox()).isFalse();
            assertThat(real.ebs().options().pollInterval()).isEqualTo(EbsOptions.defaults().pollInterval());
            assertThatThrownBy(() -> real.ebs().describeInstance("i-0123456789abcdef0")).isInstanceOf(CryptvolException.class);
            assertThat(authorizations).last().asString().contains("Credential=AKIDFROMTHECHAIN/");

            assertThat(sandbox.settings().isSandbox()).isTrue();
            assertThat(sandbox.ebs().options().pollInterval()).isEqualTo(EbsOptions.sandbox().pollInterval());
            assertThatThrownBy(() -> sandbox.ebs().describeInstance("i-0123456789abcdef0")).isInstanceOf(CryptvolException.class);
            assertThat(authorizations).last().asString().contains("Credential=AKIDSANDBOXCRYPTVOL/")
                    .doesNotContain("AKIDFROMTHECHAIN");
        } finally {
            restore("aws.accessKeyId", before);
            restore("aws.secretAccessKey", beforeSecret);
            http.stop(0);
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    @Test
    void clientsAreLazyAndTheSandboxNeedsNoConfiguration() {
        try (AwsClients clients = new AwsClients(AwsSettings.resolve(null, null, "http://127.0.0.1:9", true, Map.of()))) {
            assertThat(clients.region()).isEqualTo("us-east-1");
            // nothing listens on port 9: the failure is one line naming the call, after the retries
            assertThatThrownBy(() -> new EbsGateway(clients, EbsOptions.sandbox()).describeInstance("i-1"))
                    .isInstanceOf(CryptvolException.class).hasMessageStartingWith("cannot reach EC2 for DescribeInstances:");
        }
    }
}
