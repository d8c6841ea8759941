package io.cryptvol.sandbox.kms;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The instance metadata service of the sandbox's test instance, IMDSv2 only (as an instance with
 * {@code HttpTokens=required}): {@code PUT /latest/api/token} gives a session token, every {@code GET} needs it
 * ({@code 401} without). It answers the paths the AWS CLI and SDKs read for role credentials and the region:
 * {@code meta-data/iam/security-credentials/[ROLE]}, {@code meta-data/instance-id},
 * {@code meta-data/placement/region}, {@code meta-data/placement/availability-zone},
 * {@code dynamic/instance-identity/document}. The role's credentials come from {@link SandboxKms#issueRoleCredentials},
 * so KMS knows which role calls it. Listens on 127.0.0.1; the guest reaches it through qemu's user network
 * ({@code guestfwd}, see {@code QemuInstance.forwardToHost}).
 */
public final class InstanceMetadataServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CRED_PREFIX = "/latest/meta-data/iam/security-credentials/";

    private final SandboxKms kms;
    private final java.util.function.Supplier<String> instanceId;
    private final String availabilityZone;
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final AtomicInteger credentialRequests = new AtomicInteger();
    private volatile String role;
    private HttpServer http;

    public InstanceMetadataServer(SandboxKms kms, String instanceId, String availabilityZone, String role) {
        this(kms, () -> instanceId, availabilityZone, role);
        Objects.requireNonNull(instanceId);
    }

    /** With the instance id asked at each request (the sandbox knows it only once the instance booted). */
    public InstanceMetadataServer(SandboxKms kms, java.util.function.Supplier<String> instanceId, String availabilityZone,
                                  String role) {
        this.kms = Objects.requireNonNull(kms);
        this.instanceId = Objects.requireNonNull(instanceId);
        this.availabilityZone = Objects.requireNonNull(availabilityZone);
        this.role = role;
    }

    public synchronized InstanceMetadataServer start() {
        if (http != null) {
            return this;
        }
        try {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new IllegalStateException("instance metadata service could not listen: " + e.getMessage(), e);
        }
        http.createContext("/", this::handle);
        AtomicInteger n = new AtomicInteger();
        http.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sandbox-imds-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }));
        http.start();
        return this;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    /** The instance profile's role (null: the instance has none, the credentials paths answer 404). */
    public void role(String role) {
        this.role = role;
    }

    /** How many times role credentials were handed out. */
    public int credentialRequests() {
        return credentialRequests.get();
    }

    private String region() {
        return availabilityZone.substring(0, availabilityZone.length() - 1);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            ex.getRequestBody().readAllBytes();
            if ("/latest/api/token".equals(path)) {
                if (!"PUT".equals(method)) {
                    reply(ex, 405, "text/plain", "");
                    return;
                }
                String ttl = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds");
                int seconds;
                try {
                    seconds = Integer.parseInt(ttl == null ? "" : ttl.trim());
                } catch (NumberFormatException e) {
                    seconds = -1;
                }
                if (seconds < 1 || seconds > 21600) {
                    reply(ex, 400, "text/plain", "");
                    return;
                }
                byte[] t = new byte[32];
                random.nextBytes(t);
                String token = Base64.getUrlEncoder().withoutPadding().encodeToString(t);
                tokens.put(token, Instant.now().plusSeconds(seconds));
                ex.getResponseHeaders().set("X-aws-ec2-metadata-token-ttl-seconds", Integer.toString(seconds));
                reply(ex, 200, "text/plain", token);
                return;
            }
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                reply(ex, 405, "text/plain", "");
                return;
            }
            String token = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
            Instant until = token == null ? null : tokens.get(token);
            if (until == null || until.isBefore(Instant.now())) {
                reply(ex, 401, "text/plain", "");
                return;
            }
            String r = role;
            final String credPrefix = CRED_PREFIX;
            switch (path) {
                case "/latest/meta-data/instance-id" -> reply(ex, 200, "text/plain", String.valueOf(instanceId.get()));
                case "/latest/meta-data/placement/region" -> reply(ex, 200, "text/plain", region());
                case "/latest/meta-data/placement/availability-zone" -> reply(ex, 200, "text/plain", availabilityZone);
                case "/latest/dynamic/instance-identity/document" -> {
                    ObjectNode doc = JSON.createObjectNode();
                    doc.put("accountId", "123456789012");
                    doc.put("instanceId", String.valueOf(instanceId.get()));
                    doc.put("region", region());
                    doc.put("availabilityZone", availabilityZone);
                    doc.put("instanceType", "m6i.large");
                    doc.put("imageId", "ami-0123456789abcdef0");
                    reply(ex, 200, "application/json", JSON.writeValueAsString(doc));
                }
                case CRED_PREFIX -> {
                    if (r == null) {
                        reply(ex, 404, "text/plain", "");
                    } else {
                        reply(ex, 200, "text/plain", r);
                    }
                }
                default -> {
                    if (r != null && path.equals(credPrefix + r)) {
                        String[] c = kms.issueRoleCredentials(r);
                        credentialRequests.incrementAndGet();
                        ObjectNode doc = JSON.createObjectNode();
                        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
                        doc.put("Code", "Success");
                        doc.put("LastUpdated", now.toString());
                        doc.put("Type", "AWS-HMAC");
                        doc.put("AccessKeyId", c[0]);
                        doc.put("SecretAccessKey", c[1]);
                        doc.put("Token", c[2]);
                        doc.put("Expiration", now.plus(6, ChronoUnit.HOURS).toString());
                        reply(ex, 200, "application/json", JSON.writeValueAsString(doc));
                    } else {
                        reply(ex, 404, "text/plain", "");
                    }
                }
            }
        }
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (http != null) {
            http.stop(0);
            http = null;
        }
    }
}
