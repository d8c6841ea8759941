package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** How SDK failures read: issue 17 item 7, no credentials at all is one line saying what to set. */
class Ec2ErrorsTest {
    @TempDir
    Path tmp;

    /**
     * A real SDK client whose credential chain finds nothing (no aws.* system properties, a profile file that
     * is empty or does not exist) against an endpoint nothing listens on: the failure is the credentials, said
     * in one line, without the SDK's list of providers, exit FAILED.
     */
    @ParameterizedTest
    @CsvSource({
            "default, true,  ''",
            "default, false, ''",
            "ops,     true,  ' (profile ''ops'' has none)'",
    })
    void noCredentialsIsOneLineSayingWhatToSet(String profile, boolean fileExists, String profileNote) throws Exception {
        Path file = tmp.resolve("credentials");
        if (fileExists) {
            Files.writeString(file, "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = x\n");
        }
        ProfileCredentialsProvider fromFile = ProfileCredentialsProvider.builder().profileName(profile)
                .profileFile(() -> ProfileFile.builder().content(file).type(ProfileFile.Type.CREDENTIALS).build()).build();
        try (Ec2Client ec2 = Ec2Client.builder().region(Region.US_EAST_1).endpointOverride(URI.create("http://127.0.0.1:9"))
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(AwsCredentialsProviderChain.of(SystemPropertyCredentialsProvider.create(), fromFile))
                .build()) {
            Throwable sdk = catchThrowable(() -> ec2.describeVolumes());
            assertThat(sdk).as("the SDK's own failure").hasMessageContaining("Unable to load credentials");

            CryptvolException e = Ec2Errors.map(sdk, "DescribeVolumes");
            assertThat(e.getMessage()).isEqualTo("no AWS credentials for ec2:DescribeVolumes" + profileNote
                    + " — set AWS_PROFILE to a profile with credentials, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
                    + " or run 'aws configure'; on an EC2 instance, attach an instance role");
            assertThat(e.exitCode()).isEqualTo(ExitCode.FAILED.code());
            assertThat(e.getMessage()).doesNotContain("Provider").doesNotContain("cannot reach").doesNotContain("\n");
        }
    }

    /** Credentials found, nothing listening: that stays a network failure, named as one. */
    @ParameterizedTest
    @CsvSource({"http://127.0.0.1:9"})
    void anUnreachableEndpointWithCredentialsIsStillANetworkFailure(String endpoint) {
        try (Ec2Client ec2 = Ec2Client.builder().region(Region.US_EAST_1).endpointOverride(URI.create(endpoint))
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(() -> software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("AKIDTEST", "x"))
                .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
                .build()) {
            CryptvolException e = Ec2Errors.map(catchThrowable(() -> ec2.describeVolumes()), "DescribeVolumes");
            assertThat(e.getMessage()).startsWith("cannot reach EC2 for DescribeVolumes: ").doesNotContain("credentials");
        }
    }
}
