package io.cryptvol.sandbox.s3;

/** An S3 error answer: S3's code, message and HTTP status (S3's own pairs, from its error-code list). */
final class S3Error extends RuntimeException {
    final String code;
    final int status;
    final String bucket;
    final String key;

    S3Error(int status, String code, String message) {
        this(status, code, message, null, null);
    }

    S3Error(int status, String code, String message, String bucket, String key) {
        super(message);
        this.status = status;
        this.code = code;
        this.bucket = bucket;
        this.key = key;
    }

    static S3Error noSuchBucket(String bucket) {
        return new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", bucket, null);
    }

    static S3Error noSuchKey(String bucket, String key) {
        return new S3Error(404, "NoSuchKey", "The specified key does not exist.", bucket, key);
    }

    static S3Error accessDenied() {
        return new S3Error(403, "AccessDenied", "Access Denied");
    }

    static S3Error invalidArgument(String message) {
        return new S3Error(400, "InvalidArgument", message);
    }

    static S3Error badDigest(String message) {
        return new S3Error(400, "BadDigest", message);
    }

    static S3Error malformedXml() {
        return new S3Error(400, "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema");
    }
}
