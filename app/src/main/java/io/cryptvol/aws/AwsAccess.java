package io.cryptvol.aws;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The session's way to EC2: settings that can change while the shell runs ({@code aws use}), and the
 * clients and gateway made from them on first use only. Nothing here touches the network, reads
 * credentials or resolves a region until {@link #ebs()} is called; so the shell starts, and host-only
 * commands work, with no AWS configuration at all. Changing the settings closes the clients.
 *
 * <p>The instance metadata service is asked (once, with a short timeout) only through
 * {@link #instanceIdentity()}, i.e. only when an EBS command needs to know which instance it is on.
 */
public final class AwsAccess implements AutoCloseable {
    private final Map<String, String> env;
    private final EbsOptions options;
    private final Duration pollOverride;
    private final int maxAttempts;
    private final Supplier<InstanceMetadata> imds;
    private String profile;
    private String region;
    private String endpoint;
    /** The endpoint is the local sandbox's (said by whoever set it, never inferred from its address). */
    private boolean sandbox;
    private AwsClients clients;
    private EbsGateway gateway;
    private Optional<InstanceIdentity> identity;

    /**
     * @param options      timeouts and polling; its poll interval is replaced by 100 ms for the sandbox
     *                     unless {@code pollOverride} is set
     * @param pollOverride the poll interval the user asked for, or null
     * @param imds         the metadata client (null: never ask IMDS)
     */
    public AwsAccess(String profile, String region, String endpoint, Map<String, String> env, EbsOptions options,
                     Duration pollOverride, int maxAttempts, Supplier<InstanceMetadata> imds) {
        this(profile, region, endpoint, false, env, options, pollOverride, maxAttempts, imds);
    }

    /** @param sandbox the endpoint is the local sandbox's (also said by {@link AwsSettings#SANDBOX_ENV} in {@code env}) */
    public AwsAccess(String profile, String region, String endpoint, boolean sandbox, Map<String, String> env,
                     EbsOptions options, Duration pollOverride, int maxAttempts, Supplier<InstanceMetadata> imds) {
        this.sandbox = sandbox;
        this.profile = profile;
        this.region = region;
        this.endpoint = endpoint;
        this.env = Map.copyOf(env);
        this.options = options;
        this.pollOverride = pollOverride;
        this.maxAttempts = maxAttempts;
        this.imds = imds;
    }

    /** The settings in effect (parses the endpoint; no network). */
    public synchronized AwsSettings settings() {
        return AwsSettings.resolve(profile, region, endpoint, sandbox, env).withMaxAttempts(maxAttempts);
    }

    /** The gateway, creating the clients now if needed. */
    public synchronized EbsGateway ebs() {
        if (gateway == null) {
            AwsSettings s = settings();
            EbsOptions o = options;
            if (pollOverride != null) {
                o = o.withPollInterval(pollOverride);
            } else if (s.isSandbox()) {
                o = o.withPollInterval(EbsOptions.sandbox().pollInterval());
            }
            clients = new AwsClients(s);
            gateway = new EbsGateway(clients, o);
        }
        return gateway;
    }

    /**
     * The clients (made now if needed), for a service other than EC2: {@code clients().configure(S3Client.builder(),
     * region)}. A new object after the settings change (the old one is closed then).
     */
    public synchronized AwsClients clients() {
        ebs();
        return clients;
    }

    /** True once a client was made (i.e. some command talked, or tried to talk, to EC2). */
    public synchronized boolean started() {
        return gateway != null;
    }

    /**
     * Changes the settings for the rest of the session. A null argument keeps that setting; an empty
     * string (or "default") goes back to the SDK's default (or, for the endpoint, to the environment).
     * Another endpoint than the one set is a real one (unless {@code sandbox} says otherwise).
     */
    public synchronized AwsSettings configure(String newProfile, String newRegion, String newEndpoint) {
        String e = merge(endpoint, newEndpoint);
        return set(merge(profile, newProfile), merge(region, newRegion), e, sandbox && java.util.Objects.equals(e, endpoint));
    }

    /**
     * Points EBS commands at the sandbox's own endpoint: dummy credentials, quick polling (the one way,
     * besides {@link AwsSettings#SANDBOX_ENV}, an endpoint becomes the sandbox's).
     */
    public synchronized AwsSettings configureSandbox(String newRegion, String sandboxEndpoint) {
        return set(profile, merge(region, newRegion), merge(endpoint, sandboxEndpoint), true);
    }

    private AwsSettings set(String p, String r, String e, boolean sb) {
        AwsSettings.resolve(p, r, e, sb, env); // validates before anything changes
        profile = p;
        region = r;
        endpoint = e;
        sandbox = sb;
        closeClients();
        identity = null;
        return settings();
    }

    /**
     * The profile, region and endpoint as configured (null = default), and whether that endpoint is the
     * sandbox's, to put back later with {@link #restore}.
     */
    public record Configured(String profile, String region, String endpoint, boolean sandbox) {
        /** Settings of a real endpoint (or none). */
        public Configured(String profile, String region, String endpoint) {
            this(profile, region, endpoint, false);
        }
    }

    public synchronized Configured configured() {
        return new Configured(profile, region, endpoint, sandbox);
    }

    /** Puts back settings taken with {@link #configured()} (leaving the sandbox: SandboxSession). */
    public synchronized void restore(Configured c) {
        set(c.profile(), c.region(), c.endpoint(), c.sandbox());
    }

    private static String merge(String old, String given) {
        if (given == null) {
            return old;
        }
        String g = given.trim();
        return g.isEmpty() || g.equals("default") || g.equals("none") ? null : g;
    }

    /**
     * This machine's identity from IMDSv2, asked once per settings; empty when not on EC2, when IMDS is
     * off, or when the endpoint is the sandbox (its instances are not this machine).
     */
    public synchronized Optional<InstanceIdentity> instanceIdentity() {
        if (identity == null) {
            if (imds == null || settings().isSandbox()) {
                identity = Optional.empty();
            } else {
                identity = imds.get().identity();
            }
        }
        return identity;
    }

    private void closeClients() {
        if (clients != null) {
            clients.close();
        }
        clients = null;
        gateway = null;
    }

    @Override
    public synchronized void close() {
        closeClients();
    }
}
