package io.cryptvol.volumes;

import com.sun.net.httpserver.HttpServer;
import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.InstanceMetadata;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which instance EBS commands work for: IMDSv2 only when needed and only for this machine; never at start. */
class InstanceIdentityTest {
    HttpServer imds;
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger clientsMade = new AtomicInteger();
    Supplier<InstanceMetadata> metadata;

    @BeforeEach
    void stub() throws Exception {
        imds = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        imds.createContext("/", ex -> {
            requests.incrementAndGet();
            String body = switch (ex.getRequestURI().getPath()) {
                case "/latest/api/token" -> "TOKEN";
                case "/latest/meta-data/instance-id" -> "i-0123456789abcdef0";
                case "/latest/meta-data/placement/availability-zone" -> "eu-west-1b";
                case "/latest/meta-data/placement/region" -> "eu-west-1";
                default -> "";
            };
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(b.length == 0 ? 404 : 200, b.length == 0 ? -1 : b.length);
            if (b.length > 0) {
                ex.getResponseBody().write(b);
            }
            ex.close();
        });
        imds.start();
        URI uri = URI.create("http://127.0.0.1:" + imds.getAddress().getPort());
        metadata = () -> {
            clientsMade.incrementAndGet();
            return new InstanceMetadata(uri, Duration.ofSeconds(10)); // generous: the test machine is busy
        };
    }

    @AfterEach
    void stop() {
        imds.stop(0);
    }

    AwsAccess aws(String endpoint) {
        return new AwsAccess(null, null, endpoint, Map.of(), EbsOptions.defaults(), null, 5, metadata);
    }

    AwsAccess sandboxAws(String endpoint) {
        return new AwsAccess(null, null, endpoint, true, Map.of(), EbsOptions.defaults(), null, 5, metadata);
    }

    @Test
    void nothingIsAskedOrMadeUntilAnEbsCommandNeedsIt() {
        AwsAccess aws = aws(null);
        aws.settings();
        assertThat(aws.started()).isFalse();
        assertThat(requests.get()).isZero();
        assertThat(clientsMade.get()).isZero();
    }

    @Test
    void onThisMachineImdsNamesTheInstanceOnceAndTheSessionKeepsIt() {
        SessionContext ctx = new SessionContext();
        VolumeService vs = new VolumeService(aws(null), ctx, null, new Inventory(), Duration.ofSeconds(1), Duration.ofMillis(10));
        assertThat(vs.instanceId()).isEqualTo("i-0123456789abcdef0");
        assertThat(ctx.instanceId()).isEqualTo("i-0123456789abcdef0");
        int after = requests.get();
        assertThat(vs.instanceId()).isEqualTo("i-0123456789abcdef0");
        assertThat(requests.get()).isEqualTo(after);
    }

    @Test
    void overSshOrWithTheSandboxImdsIsNotAsked() {
        SessionContext ctx = new SessionContext();
        ctx.setTarget(Target.ssh("root@10.0.0.5", null));
        VolumeService vs = new VolumeService(aws(null), ctx, null, new Inventory(), Duration.ofSeconds(1), Duration.ofMillis(10));
        assertThatThrownBy(vs::instanceId).isInstanceOf(CryptvolException.class).hasMessageStartingWith("no instance selected");

        SessionContext local = new SessionContext();
        VolumeService sandbox = new VolumeService(sandboxAws("http://127.0.0.1:4566"), local, null, new Inventory(),
                Duration.ofSeconds(1), Duration.ofMillis(10));
        assertThatThrownBy(sandbox::instanceId).hasMessageContaining("use instance i-");
        assertThat(requests.get()).isZero();
        assertThat(clientsMade.get()).isZero();
    }

    @Test
    void awsUseValidatesBeforeChangingAnything() {
        AwsAccess aws = aws(null);
        aws.configure("work", "eu-west-1", null);
        assertThatThrownBy(() -> aws.configure(null, null, "not a url")).hasMessageStartingWith("not an EC2 endpoint URL");
        assertThat(aws.settings().profile()).isEqualTo("work");
        assertThat(aws.settings().endpoint()).isNull();
        aws.configure("default", null, "http://127.0.0.1:4566");
        assertThat(aws.settings().profile()).isNull();
        assertThat(aws.settings().region()).isEqualTo("eu-west-1");
        assertThat(aws.settings().isSandbox()).as("a loopback endpoint is not the sandbox unless said so").isFalse();
        aws.configureSandbox(null, null);
        assertThat(aws.settings().isSandbox()).isTrue();
        assertThat(aws.settings().endpoint()).hasToString("http://127.0.0.1:4566");
        aws.configure(null, "us-west-2", null);
        assertThat(aws.settings().isSandbox()).as("the same endpoint in another region is still the sandbox").isTrue();
        aws.configure(null, null, "http://127.0.0.1:4567");
        assertThat(aws.settings().isSandbox()).as("another endpoint is real until said otherwise").isFalse();
        assertThatThrownBy(() -> aws.configureSandbox(null, "https://ec2.us-east-1.amazonaws.com"))
                .hasMessageStartingWith("the sandbox setting needs the sandbox's local endpoint");
        assertThat(aws.settings().endpoint()).as("nothing changed").hasToString("http://127.0.0.1:4567");
    }
}
