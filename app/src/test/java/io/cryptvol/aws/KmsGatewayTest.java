package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.kms.InstanceMetadataServer;
import io.cryptvol.sandbox.kms.SandboxKms;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The sandbox KMS through the real SDK {@link KmsClient} (configured by {@link AwsClients}, as the product does), and
 * the sandbox's IMDSv2 as an SDK-less client sees it: what KMS documents for GenerateDataKey and Decrypt with an
 * encryption context, its errors by code, the deny switch per role, and the product's one-line messages.
 */
class KmsGatewayTest {
    static final Map<String, String> CTX = Map.of("luks_uuid", "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "vg", "kvg");

    @TempDir
    Path dir;
    SandboxEc2Server server;
    SandboxKms kms;
    AwsClients clients;
    KmsGateway gateway;
    String keyArn;

    @BeforeEach
    void start() {
        kms = new SandboxKms();
        server = SandboxEc2Server.builder().dataDir(dir).build().start().addService(kms);
        clients = new AwsClients(AwsSettings.sandbox(server.endpoint()));
        gateway = new KmsGateway(() -> clients);
        kms.createKey("us-east-1", "cryptvol-test");
        keyArn = gateway.describe("alias/cryptvol-test", "us-east-1");
    }

    @AfterEach
    void stop() {
        clients.close();
        server.close();
    }

    @Test
    void aDataKeyDecryptsUnderItsOwnContextOnly() {
        KmsGateway.DataKey dk = gateway.generate(keyArn, "us-east-1", CTX, 64);
        assertThat(dk.plaintext()).hasSize(64);
        assertThat(dk.keyArn()).isEqualTo(keyArn).startsWith("arn:aws:kms:us-east-1:123456789012:key/");
        assertThat(dk.toString()).doesNotContain(Base64.getEncoder().encodeToString(dk.plaintext()).substring(0, 12));
        assertThat(gateway.decrypt(dk.ciphertext(), keyArn, "us-east-1", CTX)).isEqualTo(dk.plaintext());
        assertThat(kms.dataKeys()).hasSize(1).first().isEqualTo(dk.plaintext());
        // KMS never received the plaintext in a request
        assertThat(kms.requests()).extracting(SandboxKms.Request::operation)
                .containsExactly("DescribeKey", "GenerateDataKey", "Decrypt");
        assertThat(kms.requests()).allSatisfy(r -> assertThat(r.body())
                .doesNotContain(Base64.getEncoder().encodeToString(dk.plaintext())));
    }

    static Stream<Arguments> decryptFailures() {
        return Stream.of(
                arguments("another VG in the context", (Consumer<Case>) c -> c.ctx = Map.of("luks_uuid", CTX.get("luks_uuid"), "vg", "other"),
                        "InvalidCiphertextException"),
                arguments("no context", (Consumer<Case>) c -> c.ctx = Map.of(), "InvalidCiphertextException"),
                arguments("one bit flipped", (Consumer<Case>) c -> c.blob[c.blob.length - 1] ^= 1, "InvalidCiphertextException"),
                arguments("another key named", (Consumer<Case>) c -> c.keyId = c.other, "IncorrectKeyException"),
                arguments("another region", (Consumer<Case>) c -> c.region = "eu-west-1", "InvalidCiphertextException"),
                arguments("the role denied", (Consumer<Case>) c -> c.kms.deny("cryptvol-instance"), "AccessDeniedException"),
                arguments("every caller denied", (Consumer<Case>) c -> c.kms.deny(SandboxKms.ALL), "AccessDeniedException"),
                arguments("the key disabled", (Consumer<Case>) c -> c.kms.enabled(c.keyIdOf(c.keyId), false), "DisabledException"));
    }

    /** One Decrypt call, changed by a row; made with role credentials from the metadata service. */
    static final class Case {
        SandboxKms kms;
        Map<String, String> ctx = CTX;
        byte[] blob;
        String keyId;
        String other;
        String region = "us-east-1";

        String keyIdOf(String arn) {
            return arn.substring(arn.lastIndexOf('/') + 1);
        }
    }

    @ParameterizedTest(name = "Decrypt with {0}: {2}")
    @MethodSource
    void decryptFailures(String name, Consumer<Case> change, String code) throws Exception {
        KmsGateway.DataKey dk = gateway.generate(keyArn, "us-east-1", CTX, 64);
        Case c = new Case();
        c.kms = kms;
        c.blob = Base64.getDecoder().decode(dk.ciphertext());
        c.keyId = keyArn;
        c.other = gateway.describe(kms.createKey("us-east-1", null), "us-east-1");
        String[] creds = roleCredentials();
        change.accept(c);
        try (KmsClient role = KmsClient.builder().endpointOverride(server.endpoint()).region(Region.of(c.region))
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(creds[0], creds[1], creds[2])))
                .build()) {
            Case fc = c;
            assertThatThrownBy(() -> role.decrypt(b -> b.keyId(fc.keyId).encryptionContext(fc.ctx)
                    .ciphertextBlob(SdkBytes.fromByteArray(fc.blob))))
                    .isInstanceOf(KmsException.class)
                    .satisfies(e -> assertThat(((KmsException) e).awsErrorDetails().errorCode()).isEqualTo(code));
        }
        assertThat(kms.requests()).last().satisfies(r -> assertThat(r.caller()).isEqualTo("cryptvol-instance"));
    }

    @Test
    void anUnknownKeyIsOneLineAndADeniedCallSaysWho() {
        assertThatThrownBy(() -> gateway.describe("alias/no-such-key", "us-east-1")).isInstanceOf(CryptvolException.class)
                .hasMessage("the KMS key does not exist (DescribeKey of alias/no-such-key in us-east-1)");
        assertThatThrownBy(() -> gateway.describe("1234abcd-0000-0000-0000-000000000000\u001b[31m", "us-east-1"))
                .isInstanceOf(CryptvolException.class).hasMessageNotContaining("\u001b");
        kms.deny(SandboxKms.ALL);
        assertThatThrownBy(() -> gateway.generate(keyArn, "us-east-1", CTX, 64)).isInstanceOf(CryptvolException.class)
                .hasMessageStartingWith("KMS denied GenerateDataKey with " + keyArn);
        assertThat(kms.dataKeys()).isEmpty();
    }

    /** IMDSv2 as the AWS CLI uses it: a token first (PUT), then the role and its credentials; nothing without it. */
    String[] roleCredentials() throws Exception {
        try (InstanceMetadataServer imds = new InstanceMetadataServer(kms, "i-0123456789abcdef0", "us-east-1a",
                "cryptvol-instance").start()) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + imds.port();
            HttpResponse<String> noToken = http.send(HttpRequest.newBuilder(URI.create(base
                    + "/latest/meta-data/iam/security-credentials/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(noToken.statusCode()).isEqualTo(401);
            String token = http.send(HttpRequest.newBuilder(URI.create(base + "/latest/api/token"))
                    .header("X-aws-ec2-metadata-token-ttl-seconds", "60").PUT(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String role = http.send(HttpRequest.newBuilder(URI.create(base + "/latest/meta-data/iam/security-credentials/"))
                    .header("X-aws-ec2-metadata-token", token).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(role).isEqualTo("cryptvol-instance");
            String json = http.send(HttpRequest.newBuilder(URI.create(base + "/latest/meta-data/iam/security-credentials/" + role))
                    .header("X-aws-ec2-metadata-token", token).build(), HttpResponse.BodyHandlers.ofString()).body();
            var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
            assertThat(node.path("Code").asText()).isEqualTo("Success");
            String doc = http.send(HttpRequest.newBuilder(URI.create(base + "/latest/dynamic/instance-identity/document"))
                    .header("X-aws-ec2-metadata-token", token).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(doc).contains("\"region\":\"us-east-1\"").contains("\"instanceId\":\"i-0123456789abcdef0\"");
            return new String[] {node.path("AccessKeyId").asText(), node.path("SecretAccessKey").asText(),
                    node.path("Token").asText()};
        }
    }
}
