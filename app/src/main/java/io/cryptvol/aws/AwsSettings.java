package io.cryptvol.aws;

import io.cryptvol.CryptvolException;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * Where and as whom cryptvol talks to EC2. Every field may be null, meaning "the SDK's default":
 * the default credential chain (with {@code profile} if set) and the default region chain.
 *
 * <p>The endpoint comes from the setting, else from the environment variable
 * {@value #ENDPOINT_ENV}. An endpoint on a loopback address (127.0.0.0/8, ::1, localhost) is the
 * sandbox: cryptvol then signs with static dummy credentials and never looks up real ones (so no
 * access key id of the user's ever reaches a local process, and no credential chain or IMDS look-up
 * slows the sandbox down), and uses {@value #SANDBOX_REGION} when no region is set. Any other
 * endpoint override (a VPC endpoint, a proxy) is treated as real AWS.
 *
 * @param maxAttempts   attempts per call, first one included, for the SDK's retry strategy
 * @param adaptiveRetry the SDK's adaptive strategy (client-side rate limiting on throttling) instead of standard
 */
public record AwsSettings(String profile, String region, URI endpoint, int maxAttempts, boolean adaptiveRetry) {
    public static final String ENDPOINT_ENV = "CRYPTVOL_EC2_ENDPOINT";
    public static final String SANDBOX_REGION = "us-east-1";
    public static final int DEFAULT_MAX_ATTEMPTS = 5;

    public AwsSettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    /** No setting at all: the SDK's chains decide, and the environment may name an endpoint. */
    public static AwsSettings defaults() {
        return resolve(null, null, null, System.getenv());
    }

    /** Settings given by the user (each may be null/blank) over the environment. */
    public static AwsSettings resolve(String profile, String region, String endpoint, Map<String, String> env) {
        String ep = blank(endpoint) ? env.get(ENDPOINT_ENV) : endpoint;
        return new AwsSettings(blank(profile) ? null : profile.trim(), blank(region) ? null : region.trim(),
                blank(ep) ? null : parseEndpoint(ep.trim()), DEFAULT_MAX_ATTEMPTS, false);
    }

    public static AwsSettings sandbox(URI endpoint) {
        return new AwsSettings(null, SANDBOX_REGION, endpoint, DEFAULT_MAX_ATTEMPTS, false);
    }

    public AwsSettings withRegion(String r) {
        return new AwsSettings(profile, r, endpoint, maxAttempts, adaptiveRetry);
    }

    public AwsSettings withMaxAttempts(int n) {
        return new AwsSettings(profile, region, endpoint, n, adaptiveRetry);
    }

    public AwsSettings withAdaptiveRetry(boolean adaptive) {
        return new AwsSettings(profile, region, endpoint, maxAttempts, adaptive);
    }

    /** True when the endpoint is the local sandbox (a loopback address). */
    public boolean isSandbox() {
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
