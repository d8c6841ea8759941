package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.AwsClients;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.domain.model.S3Url;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.PublicAccessBlockConfiguration;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.ServerSideEncryptionByDefault;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Backup copies in S3, through the real SDK {@link S3Client} made by {@link AwsClients#configure} (the session's
 * credentials, region, retries and endpoint; path-style addressing when an endpoint is set, as the sandbox needs).
 *
 * <p>A bucket is used only when it is private: every Block Public Access setting on, and no bucket policy that S3
 * itself calls public ({@code GetBucketPolicyStatus}). Copies are put with SSE-KMS (the key given, else the bucket's
 * default KMS key, else S3's AWS managed key), never over another object ({@code If-None-Match: *}; an object there
 * already counts only when it holds the same bytes), and read back and compared by SHA-256. The bytes travel only
 * as the object's body: the object key is the file's name, and no metadata, tag or header carries anything of them.
 *
 * <p>S3's answers become one line each, with S3's error code and nothing of its message (a value from elsewhere).
 */
public final class S3Copies {
    /** What {@link #put} did. */
    public record Stored(String location, String kmsKeyId, boolean verified, boolean existed) {
    }

    private final Supplier<AwsClients> clients;
    private AwsClients madeFor;
    private S3Client client;

    /** S3 through the session's AWS settings (they may change while the shell runs: the client follows). */
    public S3Copies(AwsAccess aws) {
        this(aws::clients);
    }

    public S3Copies(Supplier<AwsClients> clients) {
        this.clients = clients;
    }

    synchronized S3Client s3() {
        AwsClients c = clients.get();
        if (client == null || c != madeFor) {
            if (client != null) {
                client.close();
            }
            client = c.s3();
            madeFor = c;
        }
        return client;
    }

    // ---- privacy -----------------------------------------------------------------------------------------

    /**
     * Refuses a bucket that does not exist, cannot be used with these credentials, or is not private. Returns the
     * bucket's default KMS key id when its default encryption is SSE-KMS with one (else empty). Reads only.
     */
    public Optional<String> checkPrivate(String bucket) {
        S3Client s3 = s3();
        String b = shown(bucket);
        call(() -> s3.headBucket(r -> r.bucket(bucket)), "use", bucket);
        PublicAccessBlockConfiguration pab;
        try {
            pab = s3.getPublicAccessBlock(r -> r.bucket(bucket)).publicAccessBlockConfiguration();
        } catch (AwsServiceException e) {
            if ("NoSuchPublicAccessBlockConfiguration".equals(code(e))) {
                throw new CryptvolException("S3 bucket " + b + " is not private: it has no public access block; turn on "
                        + "all four Block Public Access settings first", ExitCode.FAILED, null);
            }
            throw failure(e, "read the public access block of", bucket);
        } catch (SdkException e) {
            throw unreachable(e);
        }
        List<String> off = new ArrayList<>();
        if (!Boolean.TRUE.equals(pab.blockPublicAcls())) {
            off.add("BlockPublicAcls");
        }
        if (!Boolean.TRUE.equals(pab.ignorePublicAcls())) {
            off.add("IgnorePublicAcls");
        }
        if (!Boolean.TRUE.equals(pab.blockPublicPolicy())) {
            off.add("BlockPublicPolicy");
        }
        if (!Boolean.TRUE.equals(pab.restrictPublicBuckets())) {
            off.add("RestrictPublicBuckets");
        }
        if (!off.isEmpty()) {
            throw new CryptvolException("S3 bucket " + b + " is not private: Block Public Access is off ("
                    + String.join(", ", off) + "); turn all four settings on first", ExitCode.FAILED, null);
        }
        try {
            if (Boolean.TRUE.equals(s3.getBucketPolicyStatus(r -> r.bucket(bucket)).policyStatus().isPublic())) {
                throw new CryptvolException("S3 bucket " + b + " is public: its bucket policy grants access to everyone "
                        + "(\"*\"); not backing up there", ExitCode.FAILED, null);
            }
        } catch (AwsServiceException e) {
            if (!"NoSuchBucketPolicy".equals(code(e))) {
                throw failure(e, "read the policy status of", bucket);
            }
        } catch (SdkException e) {
            throw unreachable(e);
        }
        try {
            ServerSideEncryptionByDefault d = s3.getBucketEncryption(r -> r.bucket(bucket)).serverSideEncryptionConfiguration()
                    .rules().stream().map(x -> x.applyServerSideEncryptionByDefault()).filter(x -> x != null).findFirst()
                    .orElse(null);
            if (d != null && d.sseAlgorithm() == ServerSideEncryption.AWS_KMS && d.kmsMasterKeyID() != null) {
                return Optional.of(d.kmsMasterKeyID());
            }
        } catch (SdkException e) {
            // the default key is only shown: a put with SSE-KMS takes it (or the AWS managed key) anyway
        }
        return Optional.empty();
    }

    // ---- put, read, delete ---------------------------------------------------------------------------------

    /**
     * Puts {@code bytes} at {@code s3://bucket/key} with SSE-KMS ({@code kmsKeyId} or, when null, the bucket's
     * default), unless an object is there already (then it must hold the same bytes), then reads it back and compares
     * SHA-256. Refuses an object that S3 did not store with SSE-KMS.
     */
    public Stored put(String bucket, String key, byte[] bytes, String kmsKeyId) {
        S3Client s3 = s3();
        String location = S3Url.SCHEME + bucket + "/" + key;
        String sha = KeyStore.sha256(bytes);
        boolean existed = false;
        String usedKey;
        try {
            usedKey = s3.putObject(r -> {
                r.bucket(bucket).key(key).ifNoneMatch("*").serverSideEncryption(ServerSideEncryption.AWS_KMS)
                        .checksumAlgorithm(ChecksumAlgorithm.SHA256).contentType("application/octet-stream");
                if (kmsKeyId != null) {
                    r.ssekmsKeyId(kmsKeyId);
                }
            }, RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes), bytes.length,
                    "application/octet-stream")).ssekmsKeyId(); // streamed from the caller's array: no copy left unwiped
        } catch (AwsServiceException e) {
            if (!"PreconditionFailed".equals(code(e)) && e.statusCode() != 412) {
                throw failure(e, "put an object into", bucket);
            }
            existed = true;
            usedKey = null;
        } catch (SdkException e) {
            throw unreachable(e);
        }
        Read back = read(bucket, key);
        try {
            if (back.bytes() == null) {
                throw new CryptvolException(shown(location) + " is not there after putting it", ExitCode.FAILED, null);
            }
            boolean same = KeyStore.sha256(back.bytes()).equals(sha);
            if (existed && !same) {
                throw new CryptvolException(shown(location) + " already exists and holds different bytes: refusing to "
                        + "overwrite it (it may be another key); choose another prefix", ExitCode.FAILED, null);
            }
            if (!"aws:kms".equals(back.sse()) && !"aws:kms:dsse".equals(back.sse())) {
                throw new CryptvolException(shown(location) + " is stored with " + (back.sse() == null ? "no server-side "
                        + "encryption" : shown(back.sse())) + ", not SSE-KMS: delete it, or choose another prefix",
                        ExitCode.FAILED, null);
            }
            return new Stored(location, usedKey != null ? usedKey : back.kmsKeyId(), same, existed);
        } finally {
            back.wipe();
        }
    }

    /** An object's bytes (null when there is none) and how S3 says it is encrypted. */
    record Read(byte[] bytes, String sse, String kmsKeyId) {
        void wipe() {
            if (bytes != null) {
                Arrays.fill(bytes, (byte) 0);
            }
        }
    }

    private Read read(String bucket, String key) {
        try {
            var o = s3().getObjectAsBytes(r -> r.bucket(bucket).key(key));
            // the response's own array (not a copy), so that wiping it leaves no copy of the key behind
            return new Read(o.asByteArrayUnsafe(), o.response().serverSideEncryptionAsString(), o.response().ssekmsKeyId());
        } catch (AwsServiceException e) {
            if ("NoSuchKey".equals(code(e))) {
                return new Read(null, null, null);
            }
            throw failure(e, "read an object of", bucket);
        } catch (SdkException e) {
            throw unreachable(e);
        }
    }

    /** {@code keys verify} of a copy at {@code location} (s3://bucket/key): there, same SHA-256. */
    public BackupCheck.Status check(String location, String sha256) {
        S3Url o;
        try {
            o = S3Url.object(location);
        } catch (IllegalArgumentException e) {
            return BackupCheck.Status.UNREADABLE;
        }
        Read r;
        try {
            r = read(o.bucket(), o.prefix());
        } catch (CryptvolException e) {
            return e.getMessage() != null && e.getMessage().contains("(NoSuchBucket)") ? BackupCheck.Status.MISSING
                    : BackupCheck.Status.UNREADABLE;
        }
        try {
            if (r.bytes() == null) {
                return BackupCheck.Status.MISSING;
            }
            return KeyStore.sha256(r.bytes()).equals(sha256) ? BackupCheck.Status.OK : BackupCheck.Status.MISMATCH;
        } finally {
            r.wipe();
        }
    }

    /**
     * Deletes the copy at {@code location} (DeleteObject), then checks it is gone. An S3 object cannot be overwritten
     * in place as shred does on a disk: deleting is what S3 offers (a versioned bucket keeps older versions; the note
     * says so).
     */
    public KeyStore.ShredOutcome delete(String location) {
        S3Url o;
        try {
            o = S3Url.object(location);
        } catch (IllegalArgumentException e) {
            return new KeyStore.ShredOutcome(location, false, "not an S3 object location: " + e.getMessage());
        }
        try {
            S3Client s3 = s3();
            s3.deleteObject(r -> r.bucket(o.bucket()).key(o.prefix()));
            Read left = read(o.bucket(), o.prefix());
            left.wipe();
            if (left.bytes() != null) {
                return new KeyStore.ShredOutcome(location, false, "still there after DeleteObject");
            }
            String versioning = null;
            try {
                versioning = s3.getBucketVersioning(r -> r.bucket(o.bucket())).statusAsString();
            } catch (SdkException e) {
                // unknown: said below
            }
            return new KeyStore.ShredOutcome(location, true, versioning == null || versioning.isEmpty()
                    ? "deleted from S3 (DeleteObject; checked: gone)"
                    : "deleted from S3, but bucket versioning is " + shown(versioning) + ": delete the object's older "
                    + "versions too");
        } catch (CryptvolException e) {
            return new KeyStore.ShredOutcome(location, false, e.getMessage());
        } catch (AwsServiceException e) {
            return new KeyStore.ShredOutcome(location, false, failure(e, "delete an object of", o.bucket()).getMessage());
        } catch (SdkException e) {
            return new KeyStore.ShredOutcome(location, false, unreachable(e).getMessage());
        }
    }

    // ---- errors ------------------------------------------------------------------------------------------

    private static void call(Runnable r, String what, String bucket) {
        try {
            r.run();
        } catch (AwsServiceException e) {
            throw failure(e, what, bucket);
        } catch (SdkException e) {
            throw unreachable(e);
        }
    }

    /** S3's answer as one line: the bucket, what was tried, S3's code (never its message). */
    static CryptvolException failure(AwsServiceException e, String what, String bucket) {
        String code = code(e);
        String b = shown(bucket);
        if ("NoSuchBucket".equals(code) || (code == null && e.statusCode() == 404 && what.equals("use"))) {
            return new CryptvolException("S3 bucket " + b + " does not exist (NoSuchBucket): create it, or check the name",
                    ExitCode.FAILED, null);
        }
        if (e.statusCode() == 403 || "AccessDenied".equals(code)) {
            return new CryptvolException("no permission to " + what + " S3 bucket " + b + " (" + (code == null
                    ? "403 Forbidden" : ControlChars.oneLine(code)) + "): the credentials in use need s3:ListBucket, "
                    + "s3:GetBucketPublicAccessBlock, s3:GetBucketPolicyStatus, s3:PutObject, s3:GetObject, and "
                    + "kms:GenerateDataKey and kms:Decrypt on the KMS key", ExitCode.FAILED, null);
        }
        if (e.statusCode() == 301 || "PermanentRedirect".equals(code)) {
            return new CryptvolException("S3 bucket " + b + " is in another region: give it with --region",
                    ExitCode.FAILED, null);
        }
        if (code != null && code.startsWith("KMS.")) {
            return new CryptvolException("S3 could not use the KMS key for bucket " + b + " ("
                    + ControlChars.oneLine(code) + "): check --kms-key-id and the key's policy", ExitCode.FAILED, null);
        }
        return new CryptvolException("S3 refused to " + what + " bucket " + b + ": " + (code == null ? "HTTP "
                + e.statusCode() : ControlChars.oneLine(code)), ExitCode.FAILED, null);
    }

    private static CryptvolException unreachable(SdkException e) {
        return new CryptvolException("cannot reach S3: " + ControlChars.oneLine(String.valueOf(e.getMessage()))
                .replaceAll("\\s+", " "), ExitCode.FAILED, e);
    }

    private static String code(AwsServiceException e) {
        return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    }

    private static String shown(String v) {
        return "'" + ControlChars.oneLine(v) + "'";
    }

    /** Closes the client (not the shared HTTP client, which belongs to {@link AwsClients}). */
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
