package io.cryptvol.sandbox.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import io.cryptvol.sandbox.api.SandboxService;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * A local stand-in for Amazon S3 (REST, path-style addressing: {@code /BUCKET/KEY}) on the sandbox endpoint, for
 * the calls cryptvol makes: CreateBucket, HeadBucket, DeleteBucket, ListBuckets, ListObjectsV2, PutObject,
 * GetObject, HeadObject, DeleteObject, Get/Put/DeletePublicAccessBlock, Get/Put/DeleteBucketPolicy,
 * GetBucketPolicyStatus, Get/Put/DeleteBucketEncryption, GetBucketLocation, GetBucketVersioning (never enabled).
 *
 * <p>Written to S3's documented behaviour: a new bucket has every Block Public Access setting on and SSE-S3 as its
 * default encryption (as S3 does since 2023); a public policy is refused while BlockPublicPolicy is on;
 * GetBucketPolicyStatus says IsPublic for an Allow to {@code *} (or {@code AWS: *}) not narrowed by a fixed-value
 * condition; PutObject takes the SDK's {@code aws-chunked} bodies (signed or unsigned, with trailing checksums),
 * checks Content-MD5, {@code x-amz-checksum-*} (CRC32, CRC32C, SHA-1, SHA-256) and a hex
 * {@code x-amz-content-sha256}, honours {@code If-None-Match: *}, and keeps and returns the SSE headers
 * ({@code aws:kms} with the given key id, else the bucket default's, else the AWS managed key {@code aws/s3});
 * errors are S3's XML ({@code NoSuchBucket}, {@code NoSuchKey}, {@code AccessDenied}, ...; HEAD answers carry no
 * body). Signatures are not checked. A request for a bucket of another region is answered 301 PermanentRedirect
 * with {@code x-amz-bucket-region}, as S3 answers path-style requests.
 *
 * <p>State: in memory, and with a data directory also on disk ({@code state.json} and one file per object body,
 * written after every change; the directory 0700, the files 0600: the objects are copies of keys), so that a
 * sandbox stopped and started again finds its buckets and objects.
 *
 * <p>For tests: {@link #requests()} logs every request (headers and raw body), {@link #deny} makes an operation
 * answer AccessDenied, {@link #tamper} replaces an object's bytes behind the API's back.
 */
public final class SandboxS3Service implements SandboxService {
    public static final String ACCOUNT_ID = "123456789012";
    /** {@link #deny} of this denies every operation. */
    public static final String ANY = "*";
    static final String NS = "http://s3.amazonaws.com/doc/2006-03-01/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BUCKET_NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP_LIKE = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    /** Condition keys whose fixed values make an Allow to everyone non-public (S3's "Access Analyzer" rules, abridged). */
    private static final Set<String> NARROWING_KEYS = Set.of("aws:sourceip", "aws:sourcevpc", "aws:sourcevpce",
            "aws:sourceaccount", "aws:sourcearn", "aws:sourceowner", "aws:principalaccount", "aws:principalorgid",
            "aws:principalarn", "aws:userid", "s3:dataaccesspointaccount", "s3:dataaccesspointarn");

    /** Block Public Access settings of a bucket. */
    public record PublicAccessBlock(boolean blockPublicAcls, boolean ignorePublicAcls, boolean blockPublicPolicy,
                                    boolean restrictPublicBuckets) {
        public static final PublicAccessBlock ALL_ON = new PublicAccessBlock(true, true, true, true);
    }

    /** A bucket's default encryption: {@code AES256} or {@code aws:kms} (with a key id, or null for aws/s3). */
    public record Encryption(String algorithm, String kmsKeyId, boolean bucketKeyEnabled) {
    }

    /** An object as stored: its bytes and what S3 keeps with them. */
    public record StoredObject(String bucket, String key, byte[] body, String etag, Instant lastModified,
                               String contentType, String sse, String kmsKeyId, Map<String, String> metadata,
                               Map<String, String> checksums) {
    }

    private static final class Bucket {
        String name;
        String region;
        Instant created;
        PublicAccessBlock pab;
        String policy;
        Encryption encryption;
        final TreeMap<String, StoredObject> objects = new TreeMap<>();
    }

    private static final java.nio.file.attribute.FileAttribute<Set<java.nio.file.attribute.PosixFilePermission>> PRIVATE_DIR =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    private static final java.nio.file.attribute.FileAttribute<Set<java.nio.file.attribute.PosixFilePermission>> PRIVATE_FILE =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

    private final Path dataDir;
    /** Each stored object's file name under objects/ (by identity: an object is immutable once stored). */
    private Map<StoredObject, String> fileNames = new java.util.IdentityHashMap<>();
    private final Map<String, Bucket> buckets = new TreeMap<>();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    private final List<S3Request> requests = Collections.synchronizedList(new ArrayList<>());

    /** The private bucket a sandbox session backs keys up to ({@code keys backup NAME --to s3://cryptvol-sandbox-backups/}). */
    public static final String SANDBOX_BUCKET = "cryptvol-sandbox-backups";
    /** That bucket's default encryption key (SSE-KMS). */
    public static final String SANDBOX_KMS_KEY = "arn:aws:kms:us-east-1:" + ACCOUNT_ID + ":key/0c0ffee0-5a4d-4b0c-8a5e-cafe00c0ffee";

    /**
     * The sandbox's S3, kept under {@code dataDir}, with its private backup bucket {@link #SANDBOX_BUCKET} (every
     * Block Public Access setting on, SSE-KMS by default with {@link #SANDBOX_KMS_KEY}) made on first use.
     */
    public static SandboxS3Service forSandbox(Path dataDir, String region) {
        SandboxS3Service s = new SandboxS3Service(dataDir);
        if (s.createBucket(SANDBOX_BUCKET, region)) {
            s.encryption(SANDBOX_BUCKET, new Encryption("aws:kms", SANDBOX_KMS_KEY, true));
        }
        return s;
    }

    /** An S3 whose buckets live in memory only. */
    public SandboxS3Service() {
        this(null);
    }

    /** An S3 whose buckets and objects are kept under {@code dataDir} (null: in memory only). */
    public SandboxS3Service(Path dataDir) {
        this.dataDir = dataDir;
        if (dataDir != null) {
            load();
        }
    }

    @Override
    public String signingName() {
        return "s3";
    }

    // ------------------------------------------------------------------ for the sandbox and tests

    /** Creates a bucket (as CreateBucket would: every Block Public Access setting on, SSE-S3) unless it exists. */
    public synchronized boolean createBucket(String name, String region) {
        if (buckets.containsKey(name)) {
            return false;
        }
        checkBucketName(name);
        newBucket(name, region);
        save();
        return true;
    }

    public synchronized boolean bucketExists(String name) {
        return buckets.containsKey(name);
    }

    /** Sets a bucket's default encryption (PutBucketEncryption). */
    public synchronized void encryption(String bucket, Encryption e) {
        bucket(bucket).encryption = e;
        save();
    }

    /** Sets (null: deletes) a bucket's Block Public Access settings. */
    public synchronized void publicAccessBlock(String bucket, PublicAccessBlock pab) {
        bucket(bucket).pab = pab;
        save();
    }

    /** Every call of {@code operation} ("PutObject", "HeadBucket", ... or {@link #ANY}) answers AccessDenied. */
    public SandboxS3Service deny(String operation) {
        denied.add(operation);
        return this;
    }

    public SandboxS3Service allow(String operation) {
        denied.remove(operation);
        return this;
    }

    /** Replaces an object's bytes in place, keeping its ETag and metadata (bit rot, or a swap by someone else). */
    public synchronized void tamper(String bucket, String key, byte[] body) {
        StoredObject o = bucket(bucket).objects.get(key);
        if (o == null) {
            throw new IllegalArgumentException("no object " + key + " in " + bucket);
        }
        bucket(bucket).objects.put(key, new StoredObject(o.bucket(), key, body.clone(), o.etag(), o.lastModified(),
                o.contentType(), o.sse(), o.kmsKeyId(), o.metadata(), o.checksums()));
        save();
    }

    /**
     * Puts an object as an instance role with s3:PutObject does (the bucket's default encryption; no checksum):
     * the SSM agent's upload of a command's output. False when the bucket is not there or PutObject is denied.
     */
    public synchronized boolean putAsInstance(String bucket, String key, byte[] body) {
        Bucket b = buckets.get(bucket);
        if (b == null || denied.contains("PutObject") || denied.contains(ANY) || key.length() > 1024) {
            return false;
        }
        String sse = b.encryption.algorithm();
        String kmsKey = sse.startsWith("aws:kms") ? (b.encryption.kmsKeyId() != null ? b.encryption.kmsKeyId()
                : "arn:aws:kms:" + b.region + ":" + ACCOUNT_ID + ":alias/aws/s3") : null;
        b.objects.put(key, new StoredObject(b.name, key, body.clone(), HexFormat.of().formatHex(digest("MD5", body)),
                Instant.now().truncatedTo(ChronoUnit.SECONDS), "binary/octet-stream", sse, kmsKey, Map.of(), Map.of()));
        save();
        return true;
    }

    public synchronized Optional<StoredObject> object(String bucket, String key) {
        Bucket b = buckets.get(bucket);
        return b == null ? Optional.empty() : Optional.ofNullable(b.objects.get(key));
    }

    public synchronized List<String> keys(String bucket) {
        Bucket b = buckets.get(bucket);
        return b == null ? List.of() : List.copyOf(b.objects.keySet());
    }

    /** Every request so far, oldest first, with its headers and raw body. */
    public List<S3Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public void clearRequests() {
        requests.clear();
    }

    private Bucket bucket(String name) {
        Bucket b = buckets.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no bucket " + name);
        }
        return b;
    }

    // ------------------------------------------------------------------ HTTP

    private record Reply(int status, Map<String, String> headers, byte[] body) {
        static Reply xml(String xml) {
            return new Reply(200, Map.of("Content-Type", "application/xml"), xml.getBytes(StandardCharsets.UTF_8));
        }

        static Reply empty(int status, Map<String, String> headers) {
            return new Reply(status, headers, null);
        }
    }

    private record Route(String operation, String bucket, String key) {
    }

    @Override
    public void handle(HttpExchange ex, String region) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        String method = ex.getRequestMethod();
        URI uri = ex.getRequestURI();
        Map<String, String> query = query(uri.getRawQuery());
        String requestId = UUID.randomUUID().toString().replace("-", "").substring(0, 16).toUpperCase(Locale.ROOT);
        String op = "Unknown";
        Reply reply;
        try {
            Route route = route(method, uri.getPath(), query);
            op = route.operation();
            if (denied.contains(op) || denied.contains(ANY)) {
                throw S3Error.accessDenied();
            }
            reply = dispatch(route, ex.getRequestHeaders(), body, region, query);
        } catch (S3Error e) {
            Map<String, String> h = new LinkedHashMap<>();
            if (e.code.equals("PermanentRedirect") && e.getMessage() != null) {
                h.put("x-amz-bucket-region", e.key);
            }
            reply = "HEAD".equals(method) ? Reply.empty(e.status, h)
                    : new Reply(e.status, withXml(h), errorXml(e, requestId).getBytes(StandardCharsets.UTF_8));
        }
        Map<String, List<String>> headers = new TreeMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
        requests.add(new S3Request(op, method, uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()),
                Collections.unmodifiableMap(headers), body, reply.status()));
        send(ex, reply, requestId, "HEAD".equals(method));
    }

    private static Map<String, String> withXml(Map<String, String> h) {
        Map<String, String> out = new LinkedHashMap<>(h);
        out.put("Content-Type", "application/xml");
        return out;
    }

    private static void send(HttpExchange ex, Reply r, String requestId, boolean head) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("x-amz-request-id", requestId);
        h.set("x-amz-id-2", "sandbox/" + requestId);
        h.set("Server", "AmazonS3");
        r.headers().forEach(h::set);
        if (head || r.body() == null || r.status() == 204) {
            ex.sendResponseHeaders(r.status(), -1);
            return;
        }
        ex.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(r.body());
        }
    }

    private static Route route(String method, String path, Map<String, String> q) {
        String p = path == null || path.isEmpty() ? "/" : path;
        if (p.equals("/")) {
            if (method.equals("GET")) {
                return new Route("ListBuckets", null, null);
            }
            throw new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
        }
        String rest = p.substring(1);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 || slash == rest.length() - 1 ? null : rest.substring(slash + 1);
        if (key != null) {
            return new Route(switch (method) {
                case "PUT" -> q.containsKey("tagging") || q.containsKey("acl") ? unsupported(q) : "PutObject";
                case "GET" -> "GetObject";
                case "HEAD" -> "HeadObject";
                case "DELETE" -> "DeleteObject";
                default -> throw notAllowed();
            }, bucket, key);
        }
        String sub = q.containsKey("publicAccessBlock") ? "PublicAccessBlock" : q.containsKey("policyStatus") ? "PolicyStatus"
                : q.containsKey("policy") ? "Policy" : q.containsKey("encryption") ? "Encryption"
                : q.containsKey("location") ? "Location" : q.containsKey("versioning") ? "Versioning" : null;
        if (sub == null) {
            for (String k : q.keySet()) {
                if (!k.equals("list-type") && !k.equals("prefix") && !k.equals("max-keys") && !k.equals("continuation-token")
                        && !k.equals("start-after") && !k.equals("encoding-type") && !k.equals("fetch-owner")
                        && !k.equals("x-id") && !k.equals("delimiter")) {
                    unsupported(q);
                }
            }
            return new Route(switch (method) {
                case "PUT" -> "CreateBucket";
                case "HEAD" -> "HeadBucket";
                case "DELETE" -> "DeleteBucket";
                case "GET" -> "ListObjectsV2";
                default -> throw notAllowed();
            }, bucket, null);
        }
        String op = switch (sub) {
            case "PublicAccessBlock" -> switch (method) {
                case "GET" -> "GetPublicAccessBlock";
                case "PUT" -> "PutPublicAccessBlock";
                case "DELETE" -> "DeletePublicAccessBlock";
                default -> throw notAllowed();
            };
            case "PolicyStatus" -> method.equals("GET") ? "GetBucketPolicyStatus" : null;
            case "Policy" -> switch (method) {
                case "GET" -> "GetBucketPolicy";
                case "PUT" -> "PutBucketPolicy";
                case "DELETE" -> "DeleteBucketPolicy";
                default -> throw notAllowed();
            };
            case "Encryption" -> switch (method) {
                case "GET" -> "GetBucketEncryption";
                case "PUT" -> "PutBucketEncryption";
                case "DELETE" -> "DeleteBucketEncryption";
                default -> throw notAllowed();
            };
            case "Versioning" -> method.equals("GET") ? "GetBucketVersioning" : null;
            default -> method.equals("GET") ? "GetBucketLocation" : null;
        };
        if (op == null) {
            throw notAllowed();
        }
        return new Route(op, bucket, null);
    }

    private static String unsupported(Map<String, String> q) {
        throw new S3Error(501, "NotImplemented", "The sandbox does not implement the subresource of " + q.keySet());
    }

    private static S3Error notAllowed() {
        return new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    }

    private synchronized Reply dispatch(Route r, Headers h, byte[] body, String region, Map<String, String> q) {
        if (r.operation().equals("ListBuckets")) {
            return listBuckets();
        }
        if (r.operation().equals("CreateBucket")) {
            return createBucket(r.bucket(), body, region);
        }
        Bucket b = buckets.get(r.bucket());
        if (b == null) {
            if (!BUCKET_NAME.matcher(r.bucket()).matches()) {
                throw new S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", r.bucket(), null);
            }
            throw S3Error.noSuchBucket(r.bucket());
        }
        if (!b.region.equals(region) && !r.operation().equals("GetBucketLocation")) {
            throw new S3Error(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed "
                    + "using the specified endpoint. Please send all future requests to this endpoint.", r.bucket(), b.region);
        }
        return switch (r.operation()) {
            case "HeadBucket" -> Reply.empty(200, Map.of("x-amz-bucket-region", b.region));
            case "DeleteBucket" -> deleteBucket(b);
            case "GetBucketLocation" -> Reply.xml(xml().open("LocationConstraint", true)
                    .text(b.region.equals("us-east-1") ? "" : b.region).close("LocationConstraint").done());
            case "ListObjectsV2" -> list(b, q);
            case "GetBucketVersioning" -> Reply.xml(xml().open("VersioningConfiguration", true) // never enabled here
                    .close("VersioningConfiguration").done());
            case "PutObject" -> putObject(b, r.key(), h, body);
            case "GetObject", "HeadObject" -> getObject(b, r.key(), r.operation().equals("HeadObject"));
            case "DeleteObject" -> {
                if (b.objects.remove(r.key()) != null) {
                    save();
                }
                yield Reply.empty(204, Map.of());
            }
            case "GetPublicAccessBlock" -> {
                if (b.pab == null) {
                    throw new S3Error(404, "NoSuchPublicAccessBlockConfiguration",
                            "The public access block configuration was not found", b.name, null);
                }
                yield Reply.xml(xml().open("PublicAccessBlockConfiguration", true)
                        .el("BlockPublicAcls", b.pab.blockPublicAcls()).el("IgnorePublicAcls", b.pab.ignorePublicAcls())
                        .el("BlockPublicPolicy", b.pab.blockPublicPolicy())
                        .el("RestrictPublicBuckets", b.pab.restrictPublicBuckets())
                        .close("PublicAccessBlockConfiguration").done());
            }
            case "PutPublicAccessBlock" -> {
                Element root = parseXml(body, "PublicAccessBlockConfiguration");
                b.pab = new PublicAccessBlock(flag(root, "BlockPublicAcls"), flag(root, "IgnorePublicAcls"),
                        flag(root, "BlockPublicPolicy"), flag(root, "RestrictPublicBuckets"));
                save();
                yield Reply.empty(200, Map.of());
            }
            case "DeletePublicAccessBlock" -> {
                b.pab = null;
                save();
                yield Reply.empty(204, Map.of());
            }
            case "GetBucketPolicy" -> {
                requirePolicy(b);
                yield new Reply(200, Map.of("Content-Type", "application/json"), b.policy.getBytes(StandardCharsets.UTF_8));
            }
            case "PutBucketPolicy" -> putPolicy(b, body);
            case "DeleteBucketPolicy" -> {
                b.policy = null;
                save();
                yield Reply.empty(204, Map.of());
            }
            case "GetBucketPolicyStatus" -> {
                requirePolicy(b);
                yield Reply.xml(xml().open("PolicyStatus", true).el("IsPublic", isPublic(b.policy)).close("PolicyStatus").done());
            }
            case "GetBucketEncryption" -> getEncryption(b);
            case "PutBucketEncryption" -> putEncryption(b, body);
            case "DeleteBucketEncryption" -> {
                b.encryption = new Encryption("AES256", null, false); // S3 falls back to SSE-S3, never to none
                save();
                yield Reply.empty(204, Map.of());
            }
            default -> throw new S3Error(501, "NotImplemented", "The sandbox does not implement " + r.operation());
        };
    }

    private static void requirePolicy(Bucket b) {
        if (b.policy == null) {
            throw new S3Error(404, "NoSuchBucketPolicy", "The bucket policy does not exist", b.name, null);
        }
    }

    // ------------------------------------------------------------------ buckets

    private Reply listBuckets() {
        Xml x = xml().open("ListAllMyBucketsResult", true).open("Owner").el("ID", ACCOUNT_ID).close("Owner").open("Buckets");
        for (Bucket b : buckets.values()) {
            x.open("Bucket").el("Name", b.name).el("CreationDate", b.created).el("BucketRegion", b.region).close("Bucket");
        }
        return Reply.xml(x.close("Buckets").close("ListAllMyBucketsResult").done());
    }

    private Reply createBucket(String name, byte[] body, String region) {
        checkBucketName(name);
        String where = region;
        if (body.length > 0) {
            Element root = parseXml(body, "CreateBucketConfiguration");
            String lc = text(root, "LocationConstraint");
            if (lc != null && !lc.isEmpty()) {
                where = lc;
            }
        }
        if (!where.equals(region)) {
            throw new S3Error(400, "IllegalLocationConstraintException", "The " + where
                    + " location constraint is incompatible for the region specific endpoint this request was sent to.");
        }
        if (buckets.containsKey(name)) {
            throw new S3Error(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket "
                    + "succeeded and you already own it.", name, null);
        }
        newBucket(name, where);
        save();
        return Reply.empty(200, Map.of("Location", "/" + name));
    }

    private void newBucket(String name, String region) {
        Bucket b = new Bucket();
        b.name = name;
        b.region = region;
        b.created = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        b.pab = PublicAccessBlock.ALL_ON;
        b.encryption = new Encryption("AES256", null, false);
        buckets.put(name, b);
    }

    private static void checkBucketName(String name) {
        if (name == null || !BUCKET_NAME.matcher(name).matches() || name.contains("..") || IP_LIKE.matcher(name).matches()
                || name.startsWith("xn--") || name.endsWith("-s3alias")) {
            throw new S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", name, null);
        }
    }

    private Reply deleteBucket(Bucket b) {
        if (!b.objects.isEmpty()) {
            throw new S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", b.name, null);
        }
        buckets.remove(b.name);
        save();
        return Reply.empty(204, Map.of());
    }

    private Reply list(Bucket b, Map<String, String> q) {
        String prefix = q.getOrDefault("prefix", "");
        int max = 1000;
        if (q.containsKey("max-keys")) {
            try {
                max = Math.min(1000, Integer.parseInt(q.get("max-keys")));
            } catch (NumberFormatException e) {
                throw S3Error.invalidArgument("Provided max-keys not an integer or within integer range");
            }
        }
        boolean url = "url".equals(q.get("encoding-type"));
        String after = q.get("start-after");
        String token = q.get("continuation-token");
        if (token != null) {
            try {
                after = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw S3Error.invalidArgument("The continuation token provided is incorrect");
            }
        }
        List<StoredObject> page = new ArrayList<>();
        boolean truncated = false;
        for (StoredObject o : (after == null ? b.objects : b.objects.tailMap(after, false)).values()) {
            if (!o.key().startsWith(prefix)) {
                continue;
            }
            if (page.size() == max) {
                truncated = true;
                break;
            }
            page.add(o);
        }
        Xml x = xml().open("ListBucketResult", true).el("Name", b.name).el("Prefix", url ? enc(prefix) : prefix)
                .el("KeyCount", page.size()).el("MaxKeys", max).el("IsTruncated", truncated);
        if (url) {
            x.el("EncodingType", "url");
        }
        if (token != null) {
            x.el("ContinuationToken", token);
        }
        if (truncated) {
            x.el("NextContinuationToken", Base64.getEncoder().encodeToString(
                    page.get(page.size() - 1).key().getBytes(StandardCharsets.UTF_8)));
        }
        for (StoredObject o : page) {
            x.open("Contents").el("Key", url ? enc(o.key()) : o.key()).el("LastModified", o.lastModified())
                    .el("ETag", "\"" + o.etag() + "\"").el("Size", o.body().length).el("StorageClass", "STANDARD")
                    .close("Contents");
        }
        return Reply.xml(x.close("ListBucketResult").done());
    }

    private Reply putPolicy(Bucket b, byte[] body) {
        String policy = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode n = JSON.readTree(policy);
            if (n == null || !n.isObject() || n.path("Statement").isMissingNode()) {
                throw new IOException("no Statement");
            }
        } catch (IOException e) {
            throw new S3Error(400, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'");
        }
        if (b.pab != null && b.pab.blockPublicPolicy() && isPublic(policy)) {
            throw S3Error.accessDenied(); // S3's answer when BlockPublicPolicy stops a public policy
        }
        b.policy = policy;
        save();
        return Reply.empty(204, Map.of());
    }

    /** Whether a bucket policy grants anything to everyone ({@code "*"} or {@code {"AWS": "*"}}), unconditioned. */
    static boolean isPublic(String policy) {
        JsonNode root;
        try {
            root = JSON.readTree(policy);
        } catch (IOException e) {
            return false;
        }
        JsonNode st = root.path("Statement");
        List<JsonNode> statements = new ArrayList<>();
        if (st.isArray()) {
            st.forEach(statements::add);
        } else {
            statements.add(st);
        }
        for (JsonNode s : statements) {
            if (!"Allow".equals(s.path("Effect").asText()) || !everyone(s.path("Principal"))) {
                continue;
            }
            if (!narrowed(s.path("Condition"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean everyone(JsonNode principal) {
        if (principal.isTextual()) {
            return principal.asText().equals("*");
        }
        JsonNode aws = principal.path("AWS");
        if (aws.isTextual()) {
            return aws.asText().equals("*");
        }
        if (aws.isArray()) {
            for (JsonNode a : aws) {
                if (a.asText().equals("*")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean narrowed(JsonNode condition) {
        if (!condition.isObject()) {
            return false;
        }
        for (var op : (Iterable<Map.Entry<String, JsonNode>>) condition::fields) {
            if (op.getKey().contains("Like") || op.getKey().startsWith("StringNot") || op.getKey().startsWith("ArnNot")) {
                continue; // wildcards and negations do not narrow
            }
            for (var k : (Iterable<Map.Entry<String, JsonNode>>) op.getValue()::fields) {
                if (NARROWING_KEYS.contains(k.getKey().toLowerCase(Locale.ROOT)) && !k.getValue().toString().contains("*")) {
                    return true;
                }
            }
        }
        return false;
    }

    private Reply getEncryption(Bucket b) {
        Encryption e = b.encryption;
        Xml x = xml().open("ServerSideEncryptionConfiguration", true).open("Rule").open("ApplyServerSideEncryptionByDefault")
                .el("SSEAlgorithm", e.algorithm());
        if (e.kmsKeyId() != null) {
            x.el("KMSMasterKeyID", e.kmsKeyId());
        }
        return Reply.xml(x.close("ApplyServerSideEncryptionByDefault").el("BucketKeyEnabled", e.bucketKeyEnabled())
                .close("Rule").close("ServerSideEncryptionConfiguration").done());
    }

    private Reply putEncryption(Bucket b, byte[] body) {
        Element root = parseXml(body, "ServerSideEncryptionConfiguration");
        NodeList rules = root.getElementsByTagName("ApplyServerSideEncryptionByDefault");
        if (rules.getLength() != 1) {
            throw S3Error.malformedXml();
        }
        Element d = (Element) rules.item(0);
        String alg = text(d, "SSEAlgorithm");
        String key = text(d, "KMSMasterKeyID");
        if (!"AES256".equals(alg) && !"aws:kms".equals(alg) && !"aws:kms:dsse".equals(alg)) {
            throw S3Error.malformedXml();
        }
        if (key != null && "AES256".equals(alg)) {
            throw S3Error.invalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms");
        }
        b.encryption = new Encryption(alg, key == null || key.isEmpty() ? null : key,
                "true".equals(text(root, "BucketKeyEnabled")));
        save();
        return Reply.empty(200, Map.of());
    }

    // ------------------------------------------------------------------ objects

    private Reply putObject(Bucket b, String key, Headers h, byte[] raw) {
        if (key.length() > 1024) {
            throw new S3Error(400, "KeyTooLongError", "Your key is too long", b.name, key);
        }
        String contentSha = h.getFirst("x-amz-content-sha256");
        String encoding = h.getFirst("Content-Encoding");
        boolean chunked = (contentSha != null && contentSha.startsWith("STREAMING-"))
                || (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("aws-chunked"));
        byte[] body = raw;
        Map<String, String> trailers = Map.of();
        if (chunked) {
            AwsChunked.Decoded d = AwsChunked.decode(raw);
            body = d.payload();
            trailers = d.trailers();
            String decodedLength = h.getFirst("x-amz-decoded-content-length");
            if (decodedLength != null && !decodedLength.equals(String.valueOf(body.length))) {
                throw new S3Error(400, "IncompleteBody", "You did not provide the number of bytes specified by the "
                        + "Content-Length HTTP header");
            }
        } else if (contentSha != null && HEX64.matcher(contentSha).matches()
                && !contentSha.equalsIgnoreCase(HexFormat.of().formatHex(digest("SHA-256", body)))) {
            throw new S3Error(400, "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
        String md5 = h.getFirst("Content-MD5");
        if (md5 != null) {
            byte[] want;
            try {
                want = Base64.getDecoder().decode(md5.trim());
            } catch (IllegalArgumentException e) {
                throw new S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
            }
            if (!MessageDigest.isEqual(want, digest("MD5", body))) {
                throw S3Error.badDigest("The Content-MD5 you specified did not match what we received.");
            }
        }
        Map<String, String> checksums = new TreeMap<>();
        for (String alg : List.of("crc32", "crc32c", "sha1", "sha256", "crc64nvme")) {
            String name = "x-amz-checksum-" + alg;
            String v = trailers.containsKey(name) ? trailers.get(name) : h.getFirst(name);
            if (v == null) {
                continue;
            }
            String actual = checksum(alg, body);
            if (actual != null && !actual.equals(v.trim())) {
                throw S3Error.badDigest("The " + alg.toUpperCase(Locale.ROOT) + " you specified did not match the calculated checksum.");
            }
            checksums.put(alg, v.trim());
        }
        if ("*".equals(h.getFirst("If-None-Match")) && b.objects.containsKey(key)) {
            throw new S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                    b.name, key);
        }
        String sse = h.getFirst("x-amz-server-side-encryption");
        String kmsKey = h.getFirst("x-amz-server-side-encryption-aws-kms-key-id");
        if (sse == null) {
            sse = b.encryption.algorithm();
            kmsKey = null;
        } else if (!sse.equals("AES256") && !sse.equals("aws:kms") && !sse.equals("aws:kms:dsse")) {
            throw S3Error.invalidArgument("The encryption method specified is not supported");
        } else if (kmsKey != null && sse.equals("AES256")) {
            throw S3Error.invalidArgument("Server Side Encryption with AWS KMS managed key requires HTTP header "
                    + "x-amz-server-side-encryption : aws:kms");
        }
        if (sse.startsWith("aws:kms") && (kmsKey == null || kmsKey.isEmpty())) {
            kmsKey = b.encryption.algorithm().startsWith("aws:kms") && b.encryption.kmsKeyId() != null
                    ? b.encryption.kmsKeyId() : "arn:aws:kms:" + b.region + ":" + ACCOUNT_ID + ":alias/aws/s3";
        }
        Map<String, String> meta = new TreeMap<>();
        h.forEach((k, v) -> {
            if (k.toLowerCase(Locale.ROOT).startsWith("x-amz-meta-")) {
                meta.put(k.toLowerCase(Locale.ROOT).substring("x-amz-meta-".length()), String.join(",", v));
            }
        });
        String etag = HexFormat.of().formatHex(digest("MD5", body));
        String type = h.getFirst("Content-Type");
        StoredObject o = new StoredObject(b.name, key, body, etag, Instant.now().truncatedTo(ChronoUnit.SECONDS),
                type == null ? "binary/octet-stream" : type, sse, sse.startsWith("aws:kms") ? kmsKey : null, meta, checksums);
        b.objects.put(key, o);
        save();
        Map<String, String> out = sseHeaders(o);
        out.put("ETag", "\"" + etag + "\"");
        checksums.forEach((alg, v) -> out.put("x-amz-checksum-" + alg, v));
        return Reply.empty(200, out);
    }

    private Reply getObject(Bucket b, String key, boolean head) {
        StoredObject o = b.objects.get(key);
        if (o == null) {
            throw S3Error.noSuchKey(b.name, key);
        }
        Map<String, String> out = sseHeaders(o);
        out.put("ETag", "\"" + o.etag() + "\"");
        out.put("Last-Modified", HTTP_DATE.format(o.lastModified()));
        out.put("Content-Type", o.contentType());
        out.put("Accept-Ranges", "bytes");
        o.metadata().forEach((k, v) -> out.put("x-amz-meta-" + k, v));
        if (head) {
            out.put("Content-Length", String.valueOf(o.body().length));
            return Reply.empty(200, out);
        }
        return new Reply(200, out, o.body().clone());
    }

    private static Map<String, String> sseHeaders(StoredObject o) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("x-amz-server-side-encryption", o.sse());
        if (o.kmsKeyId() != null) {
            out.put("x-amz-server-side-encryption-aws-kms-key-id", o.kmsKeyId());
        }
        return out;
    }

    static String checksum(String alg, byte[] body) {
        return switch (alg) {
            case "crc32" -> crc(new CRC32(), body);
            case "crc32c" -> crc(new CRC32C(), body);
            case "sha1" -> Base64.getEncoder().encodeToString(digest("SHA-1", body));
            case "sha256" -> Base64.getEncoder().encodeToString(digest("SHA-256", body));
            default -> null; // CRC64NVME: kept, not checked
        };
    }

    private static String crc(Checksum c, byte[] body) {
        c.update(body, 0, body.length);
        long v = c.getValue();
        return Base64.getEncoder().encodeToString(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    private static byte[] digest(String alg, byte[] body) {
        try {
            return MessageDigest.getInstance(alg).digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ XML and query

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            String v = eq < 0 ? "" : part.substring(eq + 1);
            out.put(decode(k), decode(v));
        }
        return out;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Element parseXml(byte[] body, String rootName) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            f.setNamespaceAware(false);
            Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(body));
            Element root = d.getDocumentElement();
            if (!rootName.equals(root.getTagName())) {
                throw S3Error.malformedXml();
            }
            return root;
        } catch (S3Error e) {
            throw e;
        } catch (Exception e) {
            throw S3Error.malformedXml();
        }
    }

    private static String text(Element e, String tag) {
        NodeList l = e.getElementsByTagName(tag);
        return l.getLength() == 0 ? null : l.item(0).getTextContent().trim();
    }

    private static boolean flag(Element e, String tag) {
        return "true".equalsIgnoreCase(text(e, tag));
    }

    private static String errorXml(S3Error e, String requestId) {
        Xml x = xml().open("Error", false).el("Code", e.code).el("Message", e.getMessage());
        if (e.bucket != null) {
            x.el("BucketName", e.bucket);
        }
        if (e.code.equals("PermanentRedirect")) {
            x.el("Endpoint", "s3." + e.key + ".amazonaws.com");
        } else if (e.key != null) {
            x.el("Key", e.key);
        }
        return x.el("RequestId", requestId).el("HostId", "sandbox/" + requestId).close("Error").done();
    }

    private static Xml xml() {
        return new Xml();
    }

    /** A tiny XML writer for S3's answers. */
    private static final class Xml {
        private final StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

        Xml open(String tag, boolean ns) {
            sb.append('<').append(tag).append(ns ? " xmlns=\"" + NS + "\"" : "").append('>');
            return this;
        }

        Xml open(String tag) {
            return open(tag, false);
        }

        Xml close(String tag) {
            sb.append("</").append(tag).append('>');
            return this;
        }

        Xml text(String s) {
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '<' -> sb.append("&lt;");
                    case '>' -> sb.append("&gt;");
                    case '&' -> sb.append("&amp;");
                    case '"' -> sb.append("&quot;");
                    default -> {
                        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                            sb.append("&#x").append(Integer.toHexString(c)).append(';');
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            return this;
        }

        Xml el(String tag, Object value) {
            String v = value instanceof Instant i ? i.truncatedTo(ChronoUnit.MILLIS).toString() : String.valueOf(value);
            return open(tag).text(v).close(tag);
        }

        String done() {
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------ on disk

    private Path stateFile() {
        return dataDir.resolve("state.json");
    }

    private Path objectsDir() {
        return dataDir.resolve("objects");
    }

    /** Writes the state (and every object body not written yet) when there is a data directory. */
    private void save() {
        if (dataDir == null) {
            return;
        }
        try {
            Files.createDirectories(objectsDir(), PRIVATE_DIR);
            Files.setPosixFilePermissions(dataDir, PRIVATE_DIR.value()); // the bucket's objects are backups of keys
            ObjectNode root = JSON.createObjectNode();
            ArrayNode bs = root.putArray("buckets");
            Set<String> live = new java.util.HashSet<>();
            Map<StoredObject, String> named = new java.util.IdentityHashMap<>();
            for (Bucket b : buckets.values()) {
                ObjectNode n = bs.addObject().put("name", b.name).put("region", b.region).put("created", b.created.toString());
                if (b.pab != null) {
                    n.putObject("publicAccessBlock").put("blockPublicAcls", b.pab.blockPublicAcls())
                            .put("ignorePublicAcls", b.pab.ignorePublicAcls()).put("blockPublicPolicy", b.pab.blockPublicPolicy())
                            .put("restrictPublicBuckets", b.pab.restrictPublicBuckets());
                }
                n.put("policy", b.policy);
                n.putObject("encryption").put("algorithm", b.encryption.algorithm()).put("kmsKeyId", b.encryption.kmsKeyId())
                        .put("bucketKeyEnabled", b.encryption.bucketKeyEnabled());
                ArrayNode os = n.putArray("objects");
                for (StoredObject o : b.objects.values()) {
                    String file = fileNames.computeIfAbsent(o, x -> HexFormat.of().formatHex(digest("SHA-256",
                            (x.bucket() + "/" + x.key()).getBytes(StandardCharsets.UTF_8)))
                            + "-" + HexFormat.of().formatHex(digest("SHA-256", x.body())).substring(0, 16));
                    named.put(o, file);
                    live.add(file);
                    Path f = objectsDir().resolve(file);
                    if (!Files.exists(f)) {
                        Path tmp = objectsDir().resolve(file + ".tmp");
                        Files.deleteIfExists(tmp);
                        Files.createFile(tmp, PRIVATE_FILE);
                        Files.write(tmp, o.body());
                        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    }
                    ObjectNode on = os.addObject().put("key", o.key()).put("file", file).put("etag", o.etag())
                            .put("lastModified", o.lastModified().toString()).put("contentType", o.contentType())
                            .put("sse", o.sse()).put("kmsKeyId", o.kmsKeyId());
                    ObjectNode m = on.putObject("metadata");
                    o.metadata().forEach(m::put);
                    ObjectNode c = on.putObject("checksums");
                    o.checksums().forEach(c::put);
                }
            }
            fileNames = named; // every object's body is hashed once, not at every save
            Path tmp = dataDir.resolve("state.json.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PRIVATE_FILE);
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
            Files.move(tmp, stateFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (var s = Files.list(objectsDir())) {
                for (Path p : s.toList()) {
                    if (!live.contains(p.getFileName().toString())) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("sandbox S3 cannot save its state in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    private void load() {
        if (!Files.isRegularFile(stateFile())) {
            return;
        }
        try {
            JsonNode root = JSON.readTree(stateFile().toFile());
            for (JsonNode n : root.path("buckets")) {
                Bucket b = new Bucket();
                b.name = n.path("name").asText();
                b.region = n.path("region").asText();
                b.created = Instant.parse(n.path("created").asText());
                JsonNode p = n.path("publicAccessBlock");
                b.pab = p.isObject() ? new PublicAccessBlock(p.path("blockPublicAcls").asBoolean(),
                        p.path("ignorePublicAcls").asBoolean(), p.path("blockPublicPolicy").asBoolean(),
                        p.path("restrictPublicBuckets").asBoolean()) : null;
                b.policy = n.path("policy").isTextual() ? n.path("policy").asText() : null;
                JsonNode e = n.path("encryption");
                b.encryption = new Encryption(e.path("algorithm").asText("AES256"),
                        e.path("kmsKeyId").isTextual() ? e.path("kmsKeyId").asText() : null, e.path("bucketKeyEnabled").asBoolean());
                for (JsonNode o : n.path("objects")) {
                    Map<String, String> meta = new TreeMap<>();
                    o.path("metadata").fields().forEachRemaining(x -> meta.put(x.getKey(), x.getValue().asText()));
                    Map<String, String> sums = new TreeMap<>();
                    o.path("checksums").fields().forEachRemaining(x -> sums.put(x.getKey(), x.getValue().asText()));
                    byte[] body = Files.readAllBytes(objectsDir().resolve(o.path("file").asText()));
                    b.objects.put(o.path("key").asText(), new StoredObject(b.name, o.path("key").asText(), body,
                            o.path("etag").asText(), Instant.parse(o.path("lastModified").asText()),
                            o.path("contentType").asText(), o.path("sse").asText(),
                            o.path("kmsKeyId").isTextual() ? o.path("kmsKeyId").asText() : null, meta, sums));
                }
                buckets.put(b.name, b);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("sandbox S3 cannot read its state in " + dataDir + ": " + e.getMessage(), e);
        }
    }
}
