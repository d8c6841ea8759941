package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * AWS SDK clients, made lazily on first use (so the shell starts without any AWS configuration). EC2
 * clients are kept one per region (snapshot copies need the destination region's client). Any other
 * service's client (S3, KMS, SSM, ...) is configured by {@link #configure}: the same credentials,
 * HTTP client, retry strategy, timeouts, call counts and endpoint (the sandbox serves every service on
 * its one endpoint). Thread-safe.
 */
public final class AwsClients implements AutoCloseable {
    private final AwsSettings settings;
    private final Map<String, Ec2Client> clients = new ConcurrentHashMap<>();
    private final Ec2CallCounts calls = new Ec2CallCounts();
    private volatile String defaultRegion;
    private volatile SdkHttpClient http;
    private volatile AwsCredentialsProvider credentials;

    public AwsClients(AwsSettings settings) {
        this.settings = settings;
    }

    public AwsSettings settings() {
        return settings;
    }

    /** EC2 requests made through these clients, per operation. */
    public Ec2CallCounts calls() {
        return calls;
    }

    /** The client for the default region. */
    public Ec2Client client() {
        return client(region());
    }

    public Ec2Client client(String region) {
        return clients.computeIfAbsent(region, this::build);
    }

    /** The region from the settings, else the SDK's region chain, else (sandbox only) us-east-1. */
    public String region() {
        String r = defaultRegion;
        if (r == null) {
            synchronized (this) {
                if (defaultRegion == null) {
                    defaultRegion = resolveRegion();
                }
                r = defaultRegion;
            }
        }
        return r;
    }

    private String resolveRegion() {
        if (settings.region() != null) {
            return settings.region();
        }
        if (settings.isSandbox()) {
            return AwsSettings.SANDBOX_REGION;
        }
        try {
            DefaultAwsRegionProviderChain.Builder b = DefaultAwsRegionProviderChain.builder();
            if (settings.profile() != null) {
                b.profileName(settings.profile());
            }
            return b.build().getRegion().id();
        } catch (SdkClientException e) {
            throw new CryptvolException("no AWS region: give one with --region, AWS_REGION"
                    + (settings.profile() != null ? " or in profile " + settings.profile() : " or a profile"), e);
        }
    }

    private Ec2Client build(String region) {
        return configure(Ec2Client.builder(), region).build();
    }

    /**
     * Configures any SDK client builder as the EC2 clients are: region, credentials, the shared HTTP client,
     * retries, timeouts, call counts, and the endpoint override when one is set. The caller builds the client
     * (and closes it). {@code region} null means the default region.
     */
    public synchronized <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder,
            String region) {
        if (http == null) {
            http = UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofSeconds(60))
                    .build();
            credentials = credentialsProvider();
        }
        RetryStrategy retry = (settings.adaptiveRetry() ? AwsRetryStrategy.adaptiveRetryStrategy().toBuilder()
                : AwsRetryStrategy.standardRetryStrategy().toBuilder()).maxAttempts(settings.maxAttempts()).build();
        builder.region(Region.of(region == null ? region() : region))
                .httpClient(http)
                .credentialsProvider(credentials)
                .overrideConfiguration(o -> o.retryStrategy(retry)
                        .addExecutionInterceptor(calls)
                        .apiCallAttemptTimeout(Duration.ofSeconds(60))
                        .apiCallTimeout(Duration.ofMinutes(5)));
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        return builder;
    }

    /**
     * An S3 client configured by {@link #configure}: path-style against an endpoint override (the sandbox), else
     * able to reach a bucket of another region than the session's. The caller closes it.
     */
    public software.amazon.awssdk.services.s3.S3Client s3() {
        software.amazon.awssdk.services.s3.S3ClientBuilder b = configure(software.amazon.awssdk.services.s3.S3Client.builder(), null);
        if (settings.endpoint() != null) {
            b.forcePathStyle(true);
        } else {
            b.crossRegionAccessEnabled(true); // a bucket of another region than the session's
        }
        return b.build();
    }

    private AwsCredentialsProvider credentialsProvider() {
        if (settings.isSandbox()) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDSANDBOXCRYPTVOL", "sandbox"));
        }
        DefaultCredentialsProvider.Builder b = DefaultCredentialsProvider.builder();
        if (settings.profile() != null) {
            b.profileName(settings.profile());
        }
        return b.build();
    }

    @Override
    public synchronized void close() {
        clients.values().forEach(Ec2Client::close);
        clients.clear();
        if (http != null) {
            http.close();
            http = null;
        }
    }
}
