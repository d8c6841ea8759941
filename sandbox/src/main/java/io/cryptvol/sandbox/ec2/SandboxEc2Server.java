package io.cryptvol.sandbox.ec2;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cryptvol.sandbox.DiskHost;
import io.cryptvol.sandbox.api.SandboxService;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local, in-memory stand-in for the EC2 API (Query protocol, API version 2016-11-15) covering the
 * EBS calls cryptvol makes. It listens on 127.0.0.1 only. Signatures are not verified, but a request
 * without an Authorization header is refused (AuthFailure), as EC2 would. The region of a request is
 * read from its SigV4 credential scope, so one server models several regions (snapshots can be
 * copied between them).
 *
 * <p>Volumes are sparse raw images under the data directory; attaching one plugs its image into the
 * instance's {@link DiskHost} under the serial Nitro would show ("vol" + the id's hex). State changes
 * follow time ({@link SandboxTimings}); {@link #faults()} injects latency and errors.
 *
 * <pre>
 * try (var ec2 = SandboxEc2Server.builder().dataDir(dir).build().start()) {
 *     String id = ec2.addInstance("us-east-1a", diskHost);
 *     Ec2Client client = Ec2Client.builder().endpointOverride(ec2.endpoint()) ... ;
 * }
 * </pre>
 */
public final class SandboxEc2Server implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SandboxEc2Server.class.getName());
    /** The account id every sandbox resource belongs to. */
    public static final String ACCOUNT_ID = "123456789012";
    /** The region of requests whose Authorization header names none. */
    public static final String DEFAULT_REGION = "us-east-1";
    /** Admin path (no EC2 semantics, no credentials needed) for fault injection from outside the JVM. */
    public static final String ADMIN_PATH = "/_sandbox/";
    /**
     * System property: the most items one Describe page holds (default 1000, EC2's largest page), whatever
     * MaxResults asks; e.g. 2 makes every listing of more than two items take several pages.
     */
    public static final String PAGE_SIZE_PROPERTY = "cryptvol.sandbox.ec2.page-size";

    private static final Pattern SCOPE = Pattern.compile("Credential=[^/,\\s]+/\\d{8}/([a-z0-9-]+)/ec2/aws4_request");
    private static final Pattern SERVICE_SCOPE =
            Pattern.compile("Credential=[^/,\\s]+/\\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request");

    /** Services other than EC2 on this endpoint, by SigV4 signing name. */
    private final Map<String, SandboxService> services = new ConcurrentHashMap<>();

    private final Path dataDir;
    private final int requestedPort;
    private final SandboxFaults faults = new SandboxFaults();
    private final ScheduledExecutorService timer;
    private final ExecutorService workers;
    private final ExecutorService hostActions;
    private final Ec2Backend backend;
    private HttpServer http;

    private SandboxEc2Server(Builder b) {
        this.dataDir = Objects.requireNonNull(b.dataDir, "dataDir");
        this.requestedPort = b.port;
        this.timer = Executors.newScheduledThreadPool(4, daemon("sandbox-ec2-timer"));
        this.workers = Executors.newCachedThreadPool(daemon("sandbox-ec2-http"));
        this.hostActions = Executors.newCachedThreadPool(daemon("sandbox-ec2-host"));
        this.backend = new Ec2Backend(dataDir, timer, hostActions, faults, b.timings);
        this.backend.clock(b.clock);
        this.backend.pageSize(b.pageSize > 0 ? b.pageSize : Integer.getInteger(PAGE_SIZE_PROPERTY, Ec2Backend.MAX_PAGE));
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private Path dataDir;
        private int port;
        private SandboxTimings timings = SandboxTimings.defaults();
        private java.time.Clock clock = java.time.Clock.systemUTC();
        private int pageSize;

        /**
         * Where the volume and snapshot images live (created if missing), and the world's state file: an
         * endpoint started on the same directory finds the instances, volumes, attachments, tags and
         * snapshots of the one before it (its instances stopped).
         */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** 0 (the default) picks a free port. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder timings(SandboxTimings timings) {
            this.timings = Objects.requireNonNull(timings);
            return this;
        }

        /** The clock of creation, attachment and snapshot start times (the system's by default). */
        public Builder clock(java.time.Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /**
         * The most items one page of DescribeVolumes, DescribeSnapshots or DescribeInstances holds when no ids
         * are given (MaxResults may ask for fewer, not more); 0 (the default) takes {@link #PAGE_SIZE_PROPERTY}.
         */
        public Builder pageSize(int n) {
            this.pageSize = n;
            return this;
        }

        public SandboxEc2Server build() {
            return new SandboxEc2Server(this);
        }
    }

    public synchronized SandboxEc2Server start() {
        if (http != null) {
            return this;
        }
        try {
            Files.createDirectories(dataDir);
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort), 64);
        } catch (IOException e) {
            throw new IllegalStateException("sandbox EC2 endpoint could not listen on 127.0.0.1:" + requestedPort
                    + ": " + e.getMessage(), e);
        }
        http.createContext("/", this::handle);
        http.setExecutor(workers);
        http.start();
        return this;
    }

    /**
     * Serves one more AWS service on this endpoint (requests whose SigV4 scope names {@code service.signingName()}).
     * The server closes it when it closes.
     */
    public SandboxEc2Server addService(SandboxService service) {
        if (services.putIfAbsent(service.signingName(), service) != null) {
            throw new IllegalStateException("a sandbox service named " + service.signingName() + " is there already");
        }
        return this;
    }

    /** The service registered under a signing name, if any. */
    public java.util.Optional<SandboxService> service(String signingName) {
        return java.util.Optional.ofNullable(services.get(signingName));
    }

    /** http://127.0.0.1:PORT — give it to the SDK as endpointOverride (for EC2 and every added service). */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public int port() {
        if (http == null) {
            throw new IllegalStateException("not started");
        }
        return http.getAddress().getPort();
    }

    public SandboxFaults faults() {
        return faults;
    }

    /** Changes how long transitions take from now on. */
    public SandboxEc2Server timings(SandboxTimings timings) {
        backend.timings(timings);
        return this;
    }

    /** Changes the page size of the listings from now on (see {@link Builder#pageSize}). */
    public SandboxEc2Server pageSize(int n) {
        backend.pageSize(n);
        return this;
    }

    /** Registers an instance (running, with an 8 GiB root volume at /dev/xvda) and returns its new id. */
    public String addInstance(String availabilityZone, DiskHost host) {
        String id = Ec2Backend.newId("i");
        addInstance(id, availabilityZone, host, true);
        return id;
    }

    /**
     * Registers an instance under a given id. The root volume, if asked for, is recorded as attached
     * but is not plugged into the disk host (the test instance boots from its initramfs).
     */
    public void addInstance(String instanceId, String availabilityZone, DiskHost host, boolean withRootVolume) {
        if (!Ec2Backend.isZone(availabilityZone)) {
            throw new IllegalArgumentException("not an availability zone: " + availabilityZone);
        }
        backend.addInstance(instanceId, availabilityZone, host, withRootVolume);
    }

    /** The instances this endpoint knows (registered, or loaded from the data directory), oldest first. */
    public java.util.List<String> instanceIds() {
        return backend.instanceIds();
    }

    /** An instance's state name (pending, running, stopping, stopped), or null when there is no such instance. */
    public String instanceStateName(String instanceId) {
        return backend.instanceState(instanceId);
    }

    /** Gives a loaded instance the machine its disks are plugged into (and whose power it drives). */
    public void bindInstance(String instanceId, DiskHost host) {
        backend.bindHost(instanceId, host);
    }

    /**
     * Before its owner boots the instance's host: the volumes EC2 has attached are given to it, so that it
     * boots with them, when the host takes disks while off. False when it does not (then
     * {@link #instanceBooted} plugs them in once it runs).
     */
    public boolean plugAttachedBeforeBoot(String instanceId) {
        return backend.plugBeforeBoot(instanceId);
    }

    /**
     * The instance's host was booted by its owner (a sandbox start): the volumes EC2 has attached to it are
     * plugged in, and it goes pending → running. Returns when it runs.
     */
    public void instanceBooted(String instanceId, Duration timeout) {
        backend.power(instanceId, "booted", timeout);
    }

    /** RebootInstances for one instance, waited for: returns when the guest answers again. */
    public void rebootInstance(String instanceId, Duration timeout) {
        backend.power(instanceId, "reboot", timeout);
    }

    /** StopInstances for one instance, waited for: returns when it is stopped. */
    public void stopInstance(String instanceId, Duration timeout) {
        backend.power(instanceId, "stop", timeout);
    }

    /** StartInstances for one instance, waited for: returns when it is running. */
    public void startInstance(String instanceId, Duration timeout) {
        backend.power(instanceId, "start", timeout);
    }

    /**
     * Waits until what the API asked of an instance's host so far (RebootInstances, a stop, a start, plugs)
     * is done: a reboot keeps the instance "running" throughout, as on EC2, so its state cannot tell.
     */
    public void awaitInstanceIdle(String instanceId, Duration timeout) {
        backend.awaitIdle(instanceId, timeout);
    }

    /** The volumes and snapshot sets this endpoint holds. */
    public Ec2StateFile.World world() {
        return backend.world();
    }

    /** The world saved in a data directory, read without starting an endpoint (empty when there is none). */
    public static Ec2StateFile.World savedWorld(Path dataDir) {
        return Ec2StateFile.read(dataDir);
    }

    /** Sets the private IPv4 address DescribeInstances gives an instance (how {@code doctor --all} reaches it). */
    public void instanceAddress(String instanceId, String address) {
        backend.instanceAddress(instanceId, address);
    }

    /** Sets an instance's state name (running, stopped, ...). */
    public void instanceState(String instanceId, String state) {
        backend.instanceState(instanceId, state);
    }

    /** The image file behind a volume, or null if there is no such volume. */
    public Path volumeImage(String volumeId) {
        return backend.volumeImage(volumeId);
    }

    /** The image file behind a snapshot, or null if there is no such snapshot. */
    public Path snapshotImage(String snapshotId) {
        return backend.snapshotImage(snapshotId);
    }

    @Override
    public synchronized void close() {
        if (http != null) {
            http.stop(0);
            http = null;
        }
        timer.shutdownNow();
        workers.shutdownNow();
        hostActions.shutdownNow();
        services.values().forEach(SandboxService::close);
        backend.save();
    }

    // ------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.startsWith(ADMIN_PATH)) {
                admin(ex, path.substring(ADMIN_PATH.length()));
                return;
            }
            String auth0 = ex.getRequestHeaders().getFirst("Authorization");
            Matcher scope = auth0 == null ? null : SERVICE_SCOPE.matcher(auth0);
            if (scope != null && scope.find() && !"ec2".equals(scope.group(2))) {
                SandboxService service = services.get(scope.group(2));
                if (service == null) {
                    replyText(ex, 400, "the sandbox endpoint does not serve " + scope.group(2) + "\n");
                    return;
                }
                try {
                    service.handle(ex, scope.group(1));
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "sandbox " + scope.group(2) + " request failed", e);
                    replyText(ex, 500, "internal error\n");
                }
                return;
            }
            String requestId = UUID.randomUUID().toString();
            String action = "?";
            try {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Map<String, String> params = QueryRequest.parseForm(body);
                String query = ex.getRequestURI().getRawQuery();
                if (query != null) {
                    QueryRequest.parseForm(query).forEach(params::putIfAbsent);
                }
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                if (auth == null || auth.isBlank()) {
                    throw new Ec2Error("AuthFailure", "AWS was not able to validate the provided access credentials");
                }
                if (!params.containsKey("Action")) {
                    throw Ec2Error.missing("Action");
                }
                action = params.get("Action");
                String region = regionOf(auth);
                if (!Ec2Backend.REGIONS.contains(region)) {
                    throw Ec2Backend.unknownRegion();
                }
                QueryRequest q = new QueryRequest(params, region);
                faults.beforeCall(action, params);
                reply(ex, 200, backend.handle(q));
            } catch (Ec2Error e) {
                reply(ex, e.status, errorXml(e.code, e.getMessage(), requestId));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "sandbox EC2 " + action + " failed", e);
                reply(ex, 500, errorXml("InternalError", "An internal error has occurred", requestId));
            }
        }
    }

    static String regionOf(String authorization) {
        Matcher m = SCOPE.matcher(authorization);
        return m.find() ? m.group(1) : DEFAULT_REGION;
    }

    static String errorXml(String code, String message, String requestId) {
        return new Xml().open("Response").open("Errors").open("Error").el("Code", code).el("Message", message)
                .close("Error").close("Errors").el("RequestID", requestId).close("Response").toString();
    }

    private static void reply(HttpExchange ex, int status, String xml) throws IOException {
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/xml;charset=UTF-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * POST /_sandbox/faults with form fields, any of: latencyMs=300, fail=ACTION&amp;code=CODE&amp;times=N,
     * deny=ACTION, allow=ACTION, stickAttaching=VOLUME_ID, reset=true. GET /_sandbox/calls lists call counts.
     */
    private void admin(HttpExchange ex, String what) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> p = QueryRequest.parseForm(body);
        String query = ex.getRequestURI().getRawQuery();
        if (query != null) {
            p.putAll(QueryRequest.parseForm(query));
        }
        try {
            switch (what) {
                case "calls" -> {
                    StringBuilder sb = new StringBuilder();
                    faults.calls().entrySet().stream().sorted(Map.Entry.comparingByKey())
                            .forEach(e -> sb.append(e.getKey()).append(' ').append(e.getValue()).append('\n'));
                    replyText(ex, 200, sb.toString());
                }
                case "faults" -> {
                    if ("true".equals(p.get("reset"))) {
                        faults.reset();
                    }
                    if (p.containsKey("latencyMs")) {
                        faults.latency(Duration.ofMillis(Long.parseLong(p.get("latencyMs"))));
                    }
                    if (p.containsKey("fail")) {
                        faults.failNext(p.get("fail"), Integer.parseInt(p.getOrDefault("times", "1")),
                                p.getOrDefault("code", "InternalError"));
                    }
                    if (p.containsKey("deny")) {
                        faults.deny(p.get("deny"));
                    }
                    if (p.containsKey("allow")) {
                        faults.allow(p.get("allow"));
                    }
                    if (p.containsKey("stickAttaching")) {
                        faults.stickAttaching(p.get("stickAttaching"));
                    }
                    replyText(ex, 200, "ok\n");
                }
                default -> replyText(ex, 404, "unknown admin path\n");
            }
        } catch (RuntimeException e) {
            replyText(ex, 400, e.getMessage() + "\n");
        }
    }

    private static void replyText(HttpExchange ex, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain;charset=UTF-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs a sandbox endpoint by hand: {@code SandboxEc2Server DATA_DIR [PORT [AZ]]}; registers one instance. */
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1) {
            System.err.println("usage: SandboxEc2Server DATA_DIR [PORT [AVAILABILITY_ZONE]]");
            System.exit(2);
        }
        SandboxEc2Server s = builder().dataDir(Path.of(args[0]))
                .port(args.length > 1 ? Integer.parseInt(args[1]) : 0).build().start();
        String instance = s.addInstance(args.length > 2 ? args[2] : DEFAULT_REGION + "a", null);
        System.out.println("sandbox EC2 endpoint " + s.endpoint() + " instance " + instance);
        Thread.currentThread().join();
    }
}
