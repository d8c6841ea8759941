package io.cryptvol.aws;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** IMDSv2 against a tiny local stub of the metadata service (not the EC2 API). */
class InstanceMetadataTest {
    HttpServer imds;
    final AtomicInteger tokenPuts = new AtomicInteger();

    URI stub(boolean v2Only, long delayMs) throws Exception {
        imds = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        imds.createContext("/latest/api/token", ex -> {
            sleep(delayMs);
            int status = ex.getRequestMethod().equals("PUT") && ex.getRequestHeaders().containsKey(InstanceMetadata.TOKEN_TTL_HEADER) ? 200 : 400;
            if (status == 200) {
                tokenPuts.incrementAndGet();
            }
            send(ex, status, status == 200 ? "TOKEN123" : "");
        });
        imds.createContext("/latest/meta-data/", ex -> {
            String token = ex.getRequestHeaders().getFirst(InstanceMetadata.TOKEN_HEADER);
            if (v2Only && !"TOKEN123".equals(token)) {
                send(ex, 401, "");
                return;
            }
            String body = switch (ex.getRequestURI().getPath()) {
                case "/latest/meta-data/instance-id" -> "i-0123456789abcdef0";
                case "/latest/meta-data/placement/availability-zone" -> "eu-west-1b";
                case "/latest/meta-data/placement/region" -> "eu-west-1";
                default -> null;
            };
            send(ex, body == null ? 404 : 200, body == null ? "" : body);
        });
        imds.start();
        return URI.create("http://127.0.0.1:" + imds.getAddress().getPort());
    }

    static void send(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws java.io.IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
        ex.close();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @AfterEach
    void stop() {
        if (imds != null) {
            imds.stop(0);
        }
    }

    @Test
    void readsIdentityWithASessionToken() throws Exception {
        URI ep = stub(true, 0);
        assertThat(new InstanceMetadata(ep, Duration.ofSeconds(1)).identity())
                .contains(new InstanceIdentity("i-0123456789abcdef0", "eu-west-1b", "eu-west-1"));
        assertThat(tokenPuts).hasValue(1);
        assertThat(InstanceMetadata.fromEnvironment(Map.of("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep.toString())).identity()).isPresent();
    }

    @Test
    void nothingListeningIsEmptyAtOnce() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        assertThat(new InstanceMetadata(URI.create("http://127.0.0.1:" + port), Duration.ofMillis(500)).identity()).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aSlowServiceTimesOutToEmpty() throws Exception {
        URI ep = stub(true, 3000);
        assertThat(new InstanceMetadata(ep, Duration.ofMillis(300)).identity()).isEmpty();
    }

    @Test
    void disabledByEnvironment() {
        assertThat(InstanceMetadata.fromEnvironment(Map.of("AWS_EC2_METADATA_DISABLED", "true")).identity()).isEmpty();
    }
}
