package io.cryptvol.sandbox.s3;

import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sandbox's S3 on the one sandbox endpoint, through the real SDK S3Client (path-style, over http). */
class SandboxS3ServiceTest {
    @TempDir
    Path dir;
    SandboxEc2Server server;
    SandboxS3Service s3;
    S3Client client;

    @BeforeEach
    void start() {
        server = SandboxEc2Server.builder().dataDir(dir.resolve("ec2")).build().start();
        s3 = new SandboxS3Service(dir.resolve("s3"));
        server.addService(s3);
        client = client("us-east-1");
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    S3Client client(String region) {
        return S3Client.builder().endpointOverride(server.endpoint()).region(Region.of(region)).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
                .build();
    }

    static String code(Throwable t) {
        return ((S3Exception) t).awsErrorDetails().errorCode();
    }

    @Test
    void objectsGoInAndComeBackWithTheirEncryption() {
        client.createBucket(b -> b.bucket("bucket-one"));
        client.headBucket(b -> b.bucket("bucket-one"));
        byte[] body = "hello, bucket".getBytes(StandardCharsets.UTF_8);
        var put = client.putObject(b -> b.bucket("bucket-one").key("dir/a b+c.key").serverSideEncryption(ServerSideEncryption.AWS_KMS)
                .ssekmsKeyId("alias/mine").checksumAlgorithm(ChecksumAlgorithm.SHA256), RequestBody.fromBytes(body));
        assertThat(put.serverSideEncryption()).isEqualTo(ServerSideEncryption.AWS_KMS);
        assertThat(put.ssekmsKeyId()).isEqualTo("alias/mine");
        // the SDK sent it as SigV4 streaming (aws-chunked) with a trailing checksum, and the sandbox decoded it
        S3Request req = s3.requests().stream().filter(r -> r.operation().equals("PutObject")).findFirst().orElseThrow();
        assertThat(req.headers().toString()).containsIgnoringCase("aws-chunked");
        assertThat(s3.object("bucket-one", "dir/a b+c.key").orElseThrow().body()).isEqualTo(body);

        var got = client.getObjectAsBytes(b -> b.bucket("bucket-one").key("dir/a b+c.key"));
        assertThat(got.asByteArray()).isEqualTo(body);
        assertThat(got.response().serverSideEncryption()).isEqualTo(ServerSideEncryption.AWS_KMS);
        assertThat(client.headObject(b -> b.bucket("bucket-one").key("dir/a b+c.key")).contentLength()).isEqualTo(body.length);

        // no key id: the bucket's default KMS key, else the AWS managed key
        client.putBucketEncryption(b -> b.bucket("bucket-one").serverSideEncryptionConfiguration(c -> c.rules(r -> r
                .applyServerSideEncryptionByDefault(d -> d.sseAlgorithm(ServerSideEncryption.AWS_KMS).kmsMasterKeyID("key-default")))));
        assertThat(client.getBucketEncryption(b -> b.bucket("bucket-one")).serverSideEncryptionConfiguration().rules().get(0)
                .applyServerSideEncryptionByDefault().kmsMasterKeyID()).isEqualTo("key-default");
        assertThat(client.putObject(b -> b.bucket("bucket-one").key("x").serverSideEncryption(ServerSideEncryption.AWS_KMS),
                RequestBody.fromString("x")).ssekmsKeyId()).isEqualTo("key-default");
        // If-None-Match: * never overwrites
        assertThatThrownBy(() -> client.putObject(b -> b.bucket("bucket-one").key("x").ifNoneMatch("*"), RequestBody.fromString("y")))
                .satisfies(t -> assertThat(code(t)).isEqualTo("PreconditionFailed"));
        // a wrong Content-MD5 is refused
        assertThatThrownBy(() -> client.putObject(b -> b.bucket("bucket-one").key("y").contentMD5("AAAAAAAAAAAAAAAAAAAAAA=="),
                RequestBody.fromString("y"))).satisfies(t -> assertThat(code(t)).isEqualTo("BadDigest"));
        assertThat(s3.keys("bucket-one")).containsExactly("dir/a b+c.key", "x");

        client.deleteObject(b -> b.bucket("bucket-one").key("x"));
        assertThatThrownBy(() -> client.getObject(b -> b.bucket("bucket-one").key("x"))).isInstanceOf(NoSuchKeyException.class);
        assertThatThrownBy(() -> client.headObject(b -> b.bucket("bucket-one").key("x"))).isInstanceOf(NoSuchKeyException.class);
        assertThatThrownBy(() -> client.deleteBucket(b -> b.bucket("bucket-one"))).satisfies(t -> assertThat(code(t)).isEqualTo("BucketNotEmpty"));
    }

    @Test
    void listsInPages() {
        client.createBucket(b -> b.bucket("pages"));
        for (int i = 0; i < 5; i++) {
            int n = i;
            client.putObject(b -> b.bucket("pages").key("p/k" + n), RequestBody.fromString("v" + n));
        }
        client.putObject(b -> b.bucket("pages").key("other"), RequestBody.fromString("o"));
        List<String> keys = client.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket("pages").prefix("p/").maxKeys(2).build())
                .contents().stream().map(S3Object::key).toList();
        assertThat(keys).containsExactly("p/k0", "p/k1", "p/k2", "p/k3", "p/k4");
        assertThat(s3.requests().stream().filter(r -> r.operation().equals("ListObjectsV2")).count()).isEqualTo(3);
    }

    @Test
    void privacySettingsAsS3HasThem() {
        client.createBucket(b -> b.bucket("priv"));
        var pab = client.getPublicAccessBlock(b -> b.bucket("priv")).publicAccessBlockConfiguration();
        assertThat(List.of(pab.blockPublicAcls(), pab.ignorePublicAcls(), pab.blockPublicPolicy(), pab.restrictPublicBuckets()))
                .containsOnly(true);
        assertThatThrownBy(() -> client.getBucketPolicyStatus(b -> b.bucket("priv")))
                .satisfies(t -> assertThat(code(t)).isEqualTo("NoSuchBucketPolicy"));
        String open = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::priv/*\"}]}";
        // BlockPublicPolicy refuses a public policy
        assertThatThrownBy(() -> client.putBucketPolicy(b -> b.bucket("priv").policy(open)))
                .satisfies(t -> assertThat(code(t)).isEqualTo("AccessDenied"));
        client.deletePublicAccessBlock(b -> b.bucket("priv"));
        assertThatThrownBy(() -> client.getPublicAccessBlock(b -> b.bucket("priv")))
                .satisfies(t -> assertThat(code(t)).isEqualTo("NoSuchPublicAccessBlockConfiguration"));
        client.putBucketPolicy(b -> b.bucket("priv").policy(open));
        assertThat(client.getBucketPolicyStatus(b -> b.bucket("priv")).policyStatus().isPublic()).isTrue();
        assertThat(client.getBucketPolicy(b -> b.bucket("priv")).policy()).isEqualTo(open);
        String narrowed = open.replace("}]}", ",\"Condition\":{\"StringEquals\":{\"aws:SourceVpce\":\"vpce-1a2b3c4d\"}}}]}");
        client.putBucketPolicy(b -> b.bucket("priv").policy(narrowed));
        assertThat(client.getBucketPolicyStatus(b -> b.bucket("priv")).policyStatus().isPublic()).isFalse();
    }

    @Test
    void errorsAreS3s() {
        assertThatThrownBy(() -> client.headBucket(b -> b.bucket("nosuch"))).isInstanceOf(NoSuchBucketException.class);
        assertThatThrownBy(() -> client.putObject(b -> b.bucket("nosuch").key("k"), RequestBody.fromString("x")))
                .satisfies(t -> assertThat(code(t)).isEqualTo("NoSuchBucket"));
        client.createBucket(b -> b.bucket("mine-bucket"));
        assertThatThrownBy(() -> client.createBucket(b -> b.bucket("mine-bucket"))).satisfies(t -> assertThat(code(t)).isEqualTo("BucketAlreadyOwnedByYou"));
        s3.deny("PutObject");
        assertThatThrownBy(() -> client.putObject(b -> b.bucket("mine-bucket").key("k"), RequestBody.fromString("x")))
                .satisfies(t -> assertThat(((S3Exception) t).statusCode()).isEqualTo(403))
                .satisfies(t -> assertThat(code(t)).isEqualTo("AccessDenied"));
        s3.allow("PutObject").deny("HeadBucket");
        assertThatThrownBy(() -> client.headBucket(b -> b.bucket("mine-bucket"))).satisfies(t -> assertThat(((S3Exception) t).statusCode()).isEqualTo(403));
        // a bucket of another region: S3's redirect
        try (S3Client west = client("eu-west-1")) {
            assertThatThrownBy(() -> west.getObject(b -> b.bucket("mine-bucket").key("k")))
                    .satisfies(t -> assertThat(((S3Exception) t).statusCode()).isEqualTo(301));
        }
    }

    @Test
    void bucketsAndObjectsSurviveARestart() throws Exception {
        client.createBucket(b -> b.bucket("keep"));
        client.putObject(b -> b.bucket("keep").key("k"), RequestBody.fromString("kept bytes"));
        client.deletePublicAccessBlock(b -> b.bucket("keep"));
        client.close();
        server.close();
        server = SandboxEc2Server.builder().dataDir(dir.resolve("ec2")).build().start();
        s3 = new SandboxS3Service(dir.resolve("s3"));
        server.addService(s3);
        client = client("us-east-1");
        assertThat(client.getObjectAsBytes(b -> b.bucket("keep").key("k")).asUtf8String()).isEqualTo("kept bytes");
        assertThatThrownBy(() -> client.getPublicAccessBlock(b -> b.bucket("keep")))
                .satisfies(t -> assertThat(code(t)).isEqualTo("NoSuchPublicAccessBlockConfiguration"));
        // kept private on disk: the objects are copies of keys
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("s3"))))
                .isEqualTo("rwx------");
        try (var files = Files.list(dir.resolve("s3/objects"))) {
            assertThat(files.toList()).isNotEmpty().allSatisfy(f -> assertThat(java.nio.file.attribute.PosixFilePermissions
                    .toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------"));
        }
        s3.tamper("keep", "k", "other bytes".getBytes(StandardCharsets.UTF_8));
        assertThat(client.getObjectAsBytes(b -> b.bucket("keep").key("k")).asUtf8String()).isEqualTo("other bytes");
    }

    @Test
    void theSandboxBucketIsPrivateAndKmsEncrypted() {
        SandboxS3Service sb = SandboxS3Service.forSandbox(dir.resolve("sb"), "us-east-1");
        assertThat(sb.bucketExists(SandboxS3Service.SANDBOX_BUCKET)).isTrue();
        server.close();
        server = SandboxEc2Server.builder().dataDir(dir.resolve("ec2")).build().start();
        server.addService(sb);
        client.close();
        client = client("us-east-1");
        var put = client.putObject(b -> b.bucket(SandboxS3Service.SANDBOX_BUCKET).key("k")
                .serverSideEncryption(ServerSideEncryption.AWS_KMS), RequestBody.fromString("x"));
        assertThat(put.ssekmsKeyId()).isEqualTo(SandboxS3Service.SANDBOX_KMS_KEY);
    }
}
