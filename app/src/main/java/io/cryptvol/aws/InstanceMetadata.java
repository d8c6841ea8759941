package io.cryptvol.aws;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * This machine's identity from the EC2 instance metadata service, IMDSv2 only: a PUT for a session
 * token, then GETs with it. Every request has a short timeout; off EC2 (nothing answers, or
 * something that is not IMDS answers) the result is empty, never a hang or an exception.
 *
 * <p>The endpoint follows the SDK's conventions: {@code AWS_EC2_METADATA_SERVICE_ENDPOINT} overrides
 * it and {@code AWS_EC2_METADATA_DISABLED=true} turns the look-up off.
 */
public final class InstanceMetadata {
    public static final URI DEFAULT_ENDPOINT = URI.create("http://169.254.169.254");
    static final String TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";
    static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";

    private final URI endpoint;
    private final Duration timeout;
    private final boolean disabled;

    public InstanceMetadata(URI endpoint, Duration timeout) {
        this(endpoint, timeout, false);
    }

    private InstanceMetadata(URI endpoint, Duration timeout, boolean disabled) {
        String s = endpoint.toString();
        this.endpoint = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.timeout = timeout;
        this.disabled = disabled;
    }

    public static InstanceMetadata fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    static InstanceMetadata fromEnvironment(Map<String, String> env) {
        String ep = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        boolean disabled = "true".equalsIgnoreCase(env.get("AWS_EC2_METADATA_DISABLED"));
        return new InstanceMetadata(ep == null || ep.isBlank() ? DEFAULT_ENDPOINT : URI.create(ep.trim()),
                Duration.ofSeconds(1), disabled);
    }

    /** Instance id, availability zone and region, or empty when this is not an EC2 instance. */
    public Optional<InstanceIdentity> identity() {
        if (disabled) {
            return Optional.empty();
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).proxy(java.net.ProxySelector.of(null)).build();
        try {
            HttpResponse<String> token = http.send(HttpRequest.newBuilder(endpoint.resolve("/latest/api/token"))
                    .timeout(timeout).header(TOKEN_TTL_HEADER, "60")
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            if (token.statusCode() != 200 || token.body().isBlank()) {
                return Optional.empty();
            }
            String t = token.body().trim();
            Optional<String> id = get(http, t, "instance-id");
            Optional<String> az = get(http, t, "placement/availability-zone");
            if (id.isEmpty() || az.isEmpty() || !id.get().startsWith("i-")) {
                return Optional.empty();
            }
            String region = get(http, t, "placement/region").orElse(az.get().replaceAll("[a-z]$", ""));
            return Optional.of(new InstanceIdentity(id.get(), az.get(), region));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private Optional<String> get(HttpClient http, String token, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(endpoint.resolve("/latest/meta-data/" + path))
                .timeout(timeout).header(TOKEN_HEADER, token).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return Optional.empty();
        }
        String body = r.body().trim();
        return body.isEmpty() || body.contains("\n") ? Optional.empty() : Optional.of(body);
    }
}
