package io.cryptvol.shell;

import io.cryptvol.keys.KeyStore;
import io.cryptvol.keys.LeakScan;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.s3.S3Request;
import io.cryptvol.sandbox.s3.SandboxS3Service;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keys backup NAME --to s3://…}, {@code keys verify}, {@code keys list|where|shred} as typed, through the real
 * SDK S3Client against the sandbox's S3 on the sandbox endpoint started here; and a scan of every request S3 saw.
 */
class S3BackupShellTest {
    static final String BUCKET = "cryptvol-test-backups";
    static final String UUID = "4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b";

    @TempDir
    Path home;
    @TempDir
    Path data;
    SandboxEc2Server server;
    SandboxS3Service s3;
    ShellHarness shell;

    @BeforeEach
    void start() throws Exception {
        server = SandboxEc2Server.builder().dataDir(data.resolve("ec2")).build().start();
        s3 = new SandboxS3Service(data.resolve("s3"));
        server.addService(s3);
        s3.createBucket(BUCKET, "us-east-1"); // as S3 makes one: Block Public Access on, SSE-S3 by default
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(),
                "cryptvol.aws.sandbox", "true", "cryptvol.aws.max-attempts", "1"), KeyCommandsTest.LocalNoSudo.class);
    }

    @AfterEach
    void stop() {
        shell.close();
        server.close();
    }

    String type(String line) throws Exception {
        return shell.type(line);
    }

    static byte[] luksHeader(String uuid) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put(new byte[]{'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}).putShort((short) 1);
        b.position(168).put(uuid.getBytes(StandardCharsets.US_ASCII));
        for (int i = 1024; i < 4096; i++) {
            b.put(i, (byte) 0x5a);
        }
        return b.array();
    }

    @Test
    void backupVerifyTamperShred() throws Exception {
        type("keys generate k");
        KeyStore store = shell.bean(KeyStore.class);
        store.recordEnrollment("k", UUID, 0, "myvg/mylv");
        byte[] h = luksHeader(UUID);
        String headerFile = store.headers().add(h, KeyStore.sha256(h), "/dev/myvg/mylv", "root@host", Instant.now()).file();

        String out = type("keys backup k --to s3://" + BUCKET + "/host1 --kms-key-id alias/cryptvol-backups --dry-run");
        assertThat(out).contains("would copy key 'k' to s3://" + BUCKET + "/host1/k.key (SSE-KMS with KMS key alias/cryptvol-backups)")
                .contains("dry run: nothing was copied");
        assertThat(s3.keys(BUCKET)).isEmpty();
        assertThat(s3.requests()).extracting(S3Request::operation).doesNotContain("PutObject");

        out = type("keys backup k --to s3://" + BUCKET + "/host1 --kms-key-id alias/cryptvol-backups");
        assertThat(out).contains("✔ backed up 'k' to s3://" + BUCKET + "/host1/k.key (SSE-KMS with KMS key "
                + "alias/cryptvol-backups; read back, SHA-256 matches); backups: 1 (1 verified, 1 in S3)")
                .contains("LUKS header backup " + headerFile + " copied there too");
        var obj = s3.object(BUCKET, "host1/k.key").orElseThrow();
        byte[] key = store.read("k");
        assertThat(obj.body()).isEqualTo(key);
        assertThat(obj.sse()).isEqualTo("aws:kms");
        assertThat(obj.kmsKeyId()).isEqualTo("alias/cryptvol-backups");
        assertThat(obj.metadata()).isEmpty();
        assertThat(s3.object(BUCKET, "host1/" + headerFile).orElseThrow().body()).isEqualTo(h);
        assertThat(store.require("k").backups()).extracting(b -> b.location()).containsExactly("s3://" + BUCKET + "/host1/k.key");
        assertThat(store.headers().list().get(0).copies()).extracting(c -> c.path())
                .containsExactly("s3://" + BUCKET + "/host1/" + headerFile);

        // again: the same bytes there count, nothing is overwritten
        out = type("keys backup k --to s3://" + BUCKET + "/host1/");
        assertThat(out).contains("(there already with the same bytes; read back, SHA-256 matches); backups: 1 (1 verified, 1 in S3)");

        assertThat(type("keys list")).containsPattern("k\\s+\\S+\\s+4096\\s+1 \\(1 verified, 1 in S3\\)");
        assertThat(type("keys where")).containsPattern("k\\s+S3\\s+s3://" + BUCKET + "/host1/k.key\\s+verified");

        out = type("keys verify k");
        assertThat(out).containsPattern("k\\s+s3://" + BUCKET + "/host1/k.key\\s+ok").contains("✔ all 2 copies verified");

        // every key and header copy: the header's S3 copy is read back too, and a changed one is found
        out = type("keys verify");
        assertThat(out).containsPattern("s3://" + BUCKET + "/host1/" + java.util.regex.Pattern.quote(headerFile) + "\\s+ok");
        s3.tamper(BUCKET, "host1/" + headerFile, "not the header".getBytes(StandardCharsets.UTF_8));
        out = type("keys verify");
        assertThat(out).containsPattern("s3://" + BUCKET + "/host1/" + java.util.regex.Pattern.quote(headerFile)
                + "\\s+DIFFERENT BYTES");
        s3.tamper(BUCKET, "host1/" + headerFile, h);

        s3.tamper(BUCKET, "host1/k.key", "not the key".getBytes(StandardCharsets.UTF_8));
        out = type("keys verify k");
        assertThat(out).containsPattern("k\\s+s3://" + BUCKET + "/host1/k.key\\s+DIFFERENT BYTES")
                .contains("error: 1 of 2 key copies failed verification");
        assertThat(store.require("k").verifiedBackups()).isZero();

        // another key's bytes there: refused, not overwritten
        out = type("keys backup k --to s3://" + BUCKET + "/host1");
        assertThat(out.strip()).isEqualTo("error: 's3://" + BUCKET + "/host1/k.key' already exists and holds different "
                + "bytes: refusing to overwrite it (it may be another key); choose another prefix");
        assertThat(s3.object(BUCKET, "host1/k.key").orElseThrow().body()).asString(StandardCharsets.UTF_8).isEqualTo("not the key");

        out = type("keys shred k --backups");
        assertThat(out.strip()).startsWith("error: this scrubs 1 backup(s) of 'k' for good (1 in S3: deleted with DeleteObject)");
        out = type("keys shred k --backups --yes");
        assertThat(out).contains("✔ deleted from S3 (DeleteObject; checked: gone): s3://" + BUCKET + "/host1/k.key");
        assertThat(s3.keys(BUCKET)).containsExactly("host1/" + headerFile);
        assertThat(store.require("k").backups()).isEmpty();

        // the scan: key bytes only ever as the body of a PutObject of the key's object, in no header, URL or other body
        List<byte[]> keys = List.of(key);
        List<Path> scanned = new ArrayList<>();
        int i = 0;
        for (S3Request r : s3.requests()) {
            Path f = data.resolve("request-" + (i++) + ".txt");
            Files.writeString(f, r.head());
            scanned.add(f);
            if (!(r.operation().equals("PutObject") && r.rawUri().startsWith("/" + BUCKET + "/host1/k.key"))) {
                Path b = data.resolve("request-" + i + ".body");
                Files.write(b, r.body());
                scanned.add(b);
            }
        }
        // key and header, then three refused by If-None-Match (the same bytes twice, then over the tampered object)
        assertThat(s3.requests()).filteredOn(r -> r.operation().equals("PutObject")).extracting(S3Request::status)
                .containsExactly(200, 200, 412, 412, 412);
        LeakScan.assertNoLeak(keys, scanned);
        try (Stream<Path> s = Files.walk(home)) {
            LeakScan.assertNoLeak(keys, s.filter(Files::isRegularFile).filter(p -> !p.equals(store.keyFile("k"))).toList());
        }
        // and the put's body does hold it (the scan would find it: it is not blind)
        S3Request put = s3.requests().stream().filter(r -> r.operation().equals("PutObject")).findFirst().orElseThrow();
        Path putBody = data.resolve("put.body");
        Files.write(putBody, put.body());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LeakScan.assertNoLeak(keys, List.of(putBody)))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void theBucketsDefaultKmsKey() throws Exception {
        s3.encryption(BUCKET, new SandboxS3Service.Encryption("aws:kms",
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", false));
        type("keys generate k");
        String out = type("keys backup k --to s3://" + BUCKET);
        assertThat(out).contains("✔ backed up 'k' to s3://" + BUCKET + "/k.key (SSE-KMS with KMS key "
                + "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab, the bucket's default;");
        assertThat(s3.object(BUCKET, "k.key").orElseThrow().sse()).isEqualTo("aws:kms");
    }

    @Test
    void theSandboxSessionsBucket() throws Exception {
        server.close();
        server = SandboxEc2Server.builder().dataDir(data.resolve("ec2")).build().start();
        s3 = SandboxS3Service.forSandbox(data.resolve("sandbox-s3"), "us-east-1");
        server.addService(s3);
        shell.close();
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(),
                "cryptvol.aws.sandbox", "true"), KeyCommandsTest.LocalNoSudo.class);
        type("keys generate k");
        String out = type("keys backup k --to s3://" + SandboxS3Service.SANDBOX_BUCKET + "/");
        assertThat(out).contains("✔ backed up 'k' to s3://cryptvol-sandbox-backups/k.key (SSE-KMS with KMS key "
                + SandboxS3Service.SANDBOX_KMS_KEY + ", the bucket's default;");
    }

    @Test
    void aBucketThatIsNotPrivateIsRefused() throws Exception {
        type("keys generate k");
        String to = " --to s3://" + BUCKET + "/p";
        // no public access block at all
        s3.publicAccessBlock(BUCKET, null);
        assertThat(type("keys backup k" + to).strip()).isEqualTo("error: S3 bucket '" + BUCKET + "' is not private: it has "
                + "no public access block; turn on all four Block Public Access settings first");
        // some settings off
        s3.publicAccessBlock(BUCKET, new SandboxS3Service.PublicAccessBlock(true, true, false, false));
        assertThat(type("keys backup k" + to).strip()).isEqualTo("error: S3 bucket '" + BUCKET + "' is not private: Block "
                + "Public Access is off (BlockPublicPolicy, RestrictPublicBuckets); turn all four settings on first");
        // all on, but a policy put before that grants everyone
        s3.publicAccessBlock(BUCKET, null);
        try (var c = software.amazon.awssdk.services.s3.S3Client.builder().endpointOverride(server.endpoint())
                .region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true)
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("AKIDTEST", "x"))).build()) {
            c.putBucketPolicy(b -> b.bucket(BUCKET).policy("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    + "\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::" + BUCKET + "/*\"}]}"));
        }
        s3.publicAccessBlock(BUCKET, SandboxS3Service.PublicAccessBlock.ALL_ON);
        assertThat(type("keys backup k" + to).strip()).isEqualTo("error: S3 bucket '" + BUCKET + "' is public: its bucket "
                + "policy grants access to everyone (\"*\"); not backing up there");
        assertThat(type("keys backup k" + to + " --dry-run").strip()).startsWith("error: S3 bucket '" + BUCKET + "' is public");
        assertThat(s3.requests()).extracting(S3Request::operation).doesNotContain("PutObject", "GetObject");
        assertThat(shell.bean(KeyStore.class).require("k").backups()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "unknown bucket|keys backup k --to s3://no-such-bucket-here/p|error: S3 bucket 'no-such-bucket-here' does not exist (NoSuchBucket): create it, or check the name",
            "no permission to put|deny PutObject|error: no permission to put an object into S3 bucket '" + BUCKET + "' (AccessDenied): the credentials in use need s3:ListBucket, s3:GetBucketPublicAccessBlock, s3:GetBucketPolicyStatus, s3:PutObject, s3:GetObject, and kms:GenerateDataKey and kms:Decrypt on the KMS key",
            "no permission at all|deny HeadBucket|error: no permission to use S3 bucket '" + BUCKET + "' (403 Forbidden)",
            "no scheme bucket|keys backup k --to s3://|error: S3 location 's3://': names no bucket (expected s3://BUCKET/PREFIX)",
            "bad bucket name|keys backup k --to s3://Bad_Bucket/x|error: S3 location 's3://Bad_Bucket/x': the bucket name may hold only lower-case letters, digits, '.' and '-', and must begin and end with a letter or digit (expected s3://BUCKET/PREFIX)",
            "dot-dot prefix|keys backup k --to s3://good-bucket/a/../b|error: S3 location 's3://good-bucket/a/../b': the prefix has a '..' segment (expected s3://BUCKET/PREFIX)",
            "shell in prefix|keys backup k --to 's3://good-bucket/$(reboot)'|error: S3 location 's3://good-bucket/$(reboot)': the prefix may hold only letters, digits and ! - _ . * ' ( ) / (expected s3://BUCKET/PREFIX)",
            "bad kms key|keys backup k --to s3://good-bucket/p --kms-key-id 'key;rm'|error: KMS key 'key;rm': is not a KMS key id, alias or ARN (e.g. 1234abcd-12ab-34cd-56ef-1234567890ab, alias/backups, arn:aws:kms:REGION:ACCOUNT:key/ID)",
            "kms key for a directory|keys backup k --to /tmp --kms-key-id alias/x|error: --kms-key-id is for a backup to S3 (--to s3://BUCKET/PREFIX)",
    })
    void badInputIsOneLine(String what, String line, String expected) throws Exception {
        type("keys generate k");
        String command = line;
        if (line.startsWith("deny ")) {
            s3.deny(line.substring(5));
            command = "keys backup k --to s3://" + BUCKET + "/p";
        }
        String out = type(command).strip();
        assertThat(out).as(what).startsWith(expected).doesNotContain("\n").doesNotContain("Exception");
        assertThat(s3.keys(BUCKET)).isEmpty();
    }
}
