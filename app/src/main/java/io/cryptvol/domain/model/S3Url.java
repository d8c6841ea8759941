package io.cryptvol.domain.model;

import java.util.regex.Pattern;

/**
 * An S3 place, {@code s3://BUCKET/PREFIX}: where {@code keys backup --to} puts copies, and (with a whole object key as
 * its prefix) where a recorded copy is. Checked when made, so a value from the user, a script or a record never
 * reaches S3, a message or a terminal unchecked: the bucket by S3's naming rules, the prefix in S3's "safe
 * characters" ({@code A-Z a-z 0-9 ! - _ . * ' ( ) /}), no empty, {@code .} or {@code ..} segment, at most
 * {@value #MAX_PREFIX} characters.
 *
 * @param bucket the bucket name
 * @param prefix "" or a prefix ending in '/' (for a place), or a whole object key (for a recorded copy)
 */
public record S3Url(String bucket, String prefix) {
    public static final String SCHEME = "s3://";
    /** S3 keys are at most 1024 bytes; a prefix leaves room for the file names put under it. */
    public static final int MAX_PREFIX = 900;
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9!\\-_.*'()/]*");

    public S3Url {
        String why = bucketProblem(bucket);
        if (why == null) {
            why = prefixProblem(prefix);
        }
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
    }

    /** Whether a {@code --to} value means S3 rather than a directory. */
    public static boolean isS3(String s) {
        return s != null && s.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /**
     * {@code s3://bucket}, {@code s3://bucket/} or {@code s3://bucket/some/prefix[/]} as a place to put copies
     * under (the prefix then ends with '/'). A malformed value throws IllegalArgumentException saying why.
     */
    public static S3Url parse(String raw) {
        String rest = strip(raw);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        return new S3Url(bucket, prefix);
    }

    /** A recorded copy's location, {@code s3://bucket/key} (the key is the whole prefix). */
    public static S3Url object(String location) {
        String rest = strip(location);
        int slash = rest.indexOf('/');
        if (slash < 0 || slash == rest.length() - 1 || rest.endsWith("/")) {
            throw new IllegalArgumentException("names no object (expected s3://BUCKET/KEY)");
        }
        return new S3Url(rest.substring(0, slash), rest.substring(slash + 1));
    }

    private static String strip(String raw) {
        if (!isS3(raw)) {
            throw new IllegalArgumentException("does not start with s3://");
        }
        return raw.substring(SCHEME.length());
    }

    /** The object key of {@code fileName} under this prefix. */
    public String key(String fileName) {
        return prefix + fileName;
    }

    /** {@code s3://bucket/key} of {@code fileName} under this prefix. */
    public String location(String fileName) {
        return SCHEME + bucket + "/" + key(fileName);
    }

    @Override
    public String toString() {
        return SCHEME + bucket + "/" + prefix;
    }

    static String bucketProblem(String b) {
        if (b == null || b.isEmpty()) {
            return "names no bucket";
        }
        if (b.length() < 3 || b.length() > 63) {
            return "the bucket name must be 3 to 63 characters";
        }
        if (!BUCKET.matcher(b).matches()) {
            return "the bucket name may hold only lower-case letters, digits, '.' and '-', and must begin and end "
                    + "with a letter or digit";
        }
        if (b.contains("..") || IP.matcher(b).matches() || b.startsWith("xn--") || b.endsWith("-s3alias")
                || b.endsWith("--ol-s3")) {
            return "the bucket name breaks S3's naming rules";
        }
        return null;
    }

    static String prefixProblem(String p) {
        if (p == null) {
            return "names no prefix";
        }
        if (p.length() > MAX_PREFIX) {
            return "the prefix is longer than " + MAX_PREFIX + " characters";
        }
        if (!SAFE.matcher(p).matches()) {
            return "the prefix may hold only letters, digits and ! - _ . * ' ( ) /";
        }
        if (p.startsWith("/") || p.contains("//")) {
            return "the prefix has an empty path segment";
        }
        for (String seg : p.split("/")) {
            if (seg.equals(".") || seg.equals("..")) {
                return "the prefix has a '" + seg + "' segment";
            }
        }
        return null;
    }
}
