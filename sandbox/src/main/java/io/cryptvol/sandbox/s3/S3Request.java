package io.cryptvol.sandbox.s3;

import java.util.List;
import java.util.Map;

/**
 * One request as it reached the sandbox S3 service, for tests to inspect and scan: the S3 operation it was
 * taken for, the method, the raw path and query, every header, and the body exactly as sent (aws-chunked framing
 * included). {@code status} is the HTTP status answered.
 */
public record S3Request(String operation, String method, String rawUri, Map<String, List<String>> headers, byte[] body,
                        int status) {

    /** Everything but the body, as text (method, URI, headers): what a log line of it would hold. */
    public String head() {
        StringBuilder sb = new StringBuilder(method).append(' ').append(rawUri).append('\n');
        headers.forEach((k, v) -> v.forEach(x -> sb.append(k).append(": ").append(x).append('\n')));
        return sb.toString();
    }

    public int bodyLength() {
        return body.length;
    }
}
