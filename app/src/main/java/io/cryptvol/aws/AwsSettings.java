package io.cryptvol.aws;

import io.cryptvol.CryptvolException;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;

/**
 * Where and as whom cryptvol talks to EC2. Every field may be null, meaning "the SDK's default":
 * the default credential chain (with {@code profile} if set) and the default region chain.
 *
 * <p>The endpoint comes from the setting, else from the environment variable
 * {@value #ENDPOINT_ENV}. Whether that endpoint is cryptvol's own sandbox is said explicitly, never
 * inferred from its address: the sandbox marks the settings it makes ({@link #sandbox(URI)}, and
 * {@code SandboxSession} when a session goes in), and a launcher or test can say so with
 * {@value #SANDBOX_ENV}=1. For the sandbox cryptvol signs with static dummy credentials and never looks up
 * real ones (so no access key id of the user's ever reaches a local process, and no credential chain or
 * IMDS look-up slows the sandbox down), polls quickly, and uses {@value #SANDBOX_REGION} when no region is
 * set. The flag is honoured only for a literal loopback endpoint (where the sandbox listens). Any other
 * endpoint, a real one tunnelled to localhost included, is real AWS: the real credential chain, normal
 * polling.
 *
 * @param maxAttempts   attempts per call, first one included, for the SDK's retry strategy
 * @param adaptiveRetry the SDK's adaptive strategy (client-side rate limiting on throttling) instead of standard
 */
public record AwsSettings(String profile, String region, URI endpoint, int maxAttempts, boolean adaptiveRetry,
                          boolean sandbox) {
    public static final String ENDPOINT_ENV = "CRYPTVOL_EC2_ENDPOINT";
    /** Environment variable: 1 (or true, yes) says the endpoint is cryptvol's local sandbox. */
    public static final String SANDBOX_ENV = "CRYPTVOL_EC2_SANDBOX";
    public static final String SANDBOX_REGION = "us-east-1";
    public static final int DEFAULT_MAX_ATTEMPTS = 5;

    public AwsSettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (sandbox && !isLoopback(endpoint)) {
            throw new CryptvolException("the sandbox setting needs the sandbox's local endpoint (http://127.0.0.1:PORT), not "
                    + (endpoint == null ? "no endpoint" : endpoint));
        }
    }

    /** Settings of a real endpoint (or of AWS itself when {@code endpoint} is null). */
    public AwsSettings(String profile, String region, URI endpoint, int maxAttempts, boolean adaptiveRetry) {
        this(profile, region, endpoint, maxAttempts, adaptiveRetry, false);
    }

    /** No setting at all: the SDK's chains decide, and the environment may name an endpoint. */
    public static AwsSettings defaults() {
        return resolve(null, null, null, System.getenv());
    }

    /** Settings given by the user (each may be null/blank) over the environment; not the sandbox unless the environment says so. */
    public static AwsSettings resolve(String profile, String region, String endpoint, Map<String, String> env) {
        return resolve(profile, region, endpoint, false, env);
    }

    /**
     * Settings given by the user (each may be null/blank) over the environment. {@code sandbox} (or
     * {@value #SANDBOX_ENV} in {@code env}) says the endpoint is the local sandbox; it needs a loopback endpoint.
     */
    public static AwsSettings resolve(String profile, String region, String endpoint, boolean sandbox,
                                      Map<String, String> env) {
        String ep = blank(endpoint) ? env.get(ENDPOINT_ENV) : endpoint;
        URI uri = blank(ep) ? null : parseEndpoint(ep.trim());
        boolean sb = sandbox || flag(env.get(SANDBOX_ENV));
        return new AwsSettings(blank(profile) ? null : profile.trim(), blank(region) ? null : region.trim(),
                uri, DEFAULT_MAX_ATTEMPTS, false, sb);
    }

    /** The settings the sandbox makes for its own endpoint. */
    public static AwsSettings sandbox(URI endpoint) {
        return new AwsSettings(null, SANDBOX_REGION, endpoint, DEFAULT_MAX_ATTEMPTS, false, true);
    }

    public AwsSettings withRegion(String r) {
        return new AwsSettings(profile, r, endpoint, maxAttempts, adaptiveRetry, sandbox);
    }

    public AwsSettings withMaxAttempts(int n) {
        return new AwsSettings(profile, region, endpoint, n, adaptiveRetry, sandbox);
    }

    public AwsSettings withAdaptiveRetry(boolean adaptive) {
        return new AwsSettings(profile, region, endpoint, maxAttempts, adaptive, sandbox);
    }

    /** True when these settings were marked as the local sandbox's (never inferred from the address). */
    public boolean isSandbox() {
        return sandbox;
    }

    static boolean flag(String v) {
        if (v == null) {
            return false;
        }
        String s = v.trim().toLowerCase(Locale.ROOT);
        return s.equals("1") || s.equals("true") || s.equals("yes");
    }

    /** A literal loopback address (127.0.0.0/8, ::1) or localhost; a name is never resolved here. */
    static boolean isLoopback(URI endpoint) {
        if (endpoint == null || endpoint.getHost() == null) {
            return false;
        }
        String host = endpoint.getHost();
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+") && !host.startsWith("[")) {
            return false; // never resolve a name here: only literal loopback addresses count
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    static URI parseEndpoint(String s) {
        try {
            URI u = URI.create(s);
            if (u.getScheme() == null || u.getHost() == null
                    || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
                throw new IllegalArgumentException();
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new CryptvolException("not an EC2 endpoint URL: " + s + " (expected http(s)://host[:port])");
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
