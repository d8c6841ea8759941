package io.cryptvol.sandbox.s3;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code aws-chunked} content encoding the SDK uses for streaming uploads: chunks of
 * {@code HEX-SIZE[;chunk-signature=SIG]\r\nDATA\r\n}, a last chunk of size 0, then optional trailing headers
 * ({@code x-amz-checksum-crc32:...}, {@code x-amz-trailer-signature:...}) and an empty line. Signatures are not
 * checked (the sandbox checks no signature); the framing is, strictly: a body that does not parse is refused.
 */
final class AwsChunked {
    /** The decoded payload and the trailing headers (names lower-case). */
    record Decoded(byte[] payload, Map<String, String> trailers) {
    }

    private AwsChunked() {
    }

    static Decoded decode(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
        int pos = 0;
        while (true) {
            int eol = lineEnd(body, pos);
            String header = new String(body, pos, eol - pos, StandardCharsets.US_ASCII);
            pos = eol + 2;
            int semi = header.indexOf(';');
            String hex = (semi < 0 ? header : header.substring(0, semi)).trim();
            int size;
            try {
                size = Integer.parseInt(hex, 16);
            } catch (NumberFormatException e) {
                throw bad("chunk size '" + hex + "'");
            }
            if (size < 0 || pos + size > body.length) {
                throw bad("chunk of " + size + " bytes runs past the body");
            }
            if (size == 0) {
                break;
            }
            out.write(body, pos, size);
            pos += size;
            if (pos + 2 > body.length || body[pos] != '\r' || body[pos + 1] != '\n') {
                throw bad("no CRLF after a chunk");
            }
            pos += 2;
        }
        Map<String, String> trailers = new LinkedHashMap<>();
        while (pos < body.length) {
            int eol = lineEnd(body, pos);
            String line = new String(body, pos, eol - pos, StandardCharsets.US_ASCII);
            pos = eol + 2;
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw bad("trailer '" + line + "'");
            }
            trailers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return new Decoded(out.toByteArray(), trailers);
    }

    private static int lineEnd(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        throw bad("a line without CRLF");
    }

    private static S3Error bad(String what) {
        return new S3Error(400, "IncompleteBody", "The aws-chunked body is malformed: " + what);
    }
}
