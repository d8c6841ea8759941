package io.cryptvol.sandbox.ec2;

import com.sun.net.httpserver.HttpExchange;
import io.cryptvol.sandbox.api.SandboxService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one sandbox endpoint hands each request to the service its SigV4 credential scope names. */
class ServiceRoutingTest {

    static final class Echo implements SandboxService {
        final List<String> regions = new ArrayList<>();
        boolean closed;

        @Override
        public String signingName() {
            return "echo";
        }

        @Override
        public void handle(HttpExchange ex, String region) throws IOException {
            regions.add(region);
            byte[] b = ("echo " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static HttpResponse<String> get(URI endpoint, String path, String service, String region) throws Exception {
        var req = HttpRequest.newBuilder(endpoint.resolve(path))
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261201/" + region + "/" + service
                        + "/aws4_request, SignedHeaders=host, Signature=00")
                .GET().build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void routesByScopeAndLeavesEc2Alone(@TempDir Path dir) throws Exception {
        Echo echo = new Echo();
        try (var server = SandboxEc2Server.builder().dataDir(dir).build().start()) {
            server.addService(echo);
            var r = get(server.endpoint(), "/bucket/key", "echo", "eu-west-1");
            assertEquals(200, r.statusCode());
            assertEquals("echo GET /bucket/key", r.body());
            assertEquals(List.of("eu-west-1"), echo.regions);

            var unknown = get(server.endpoint(), "/", "nosuch", "us-east-1");
            assertEquals(400, unknown.statusCode());
            assertTrue(unknown.body().contains("does not serve nosuch"), unknown.body());

            var ec2 = get(server.endpoint(), "/?Action=DescribeRegions", "ec2", "us-east-1");
            assertTrue(ec2.body().contains("<"), "EC2 answers in XML: " + ec2.body());
            assertEquals(1, echo.regions.size(), "an ec2 request never reaches another service");

            assertThrows(IllegalStateException.class, () -> server.addService(new Echo()));
        }
        assertTrue(echo.closed, "the server closes its services");
    }
}
