package io.cryptvol.session;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where host commands run: this machine, a host reached over SSH, or an EC2 instance reached through Systems
 * Manager Run Command ({@code ssm:i-…}; {@code host} is the instance id).
 *
 * @param user         SSH user (null for local)
 * @param host         SSH host (null for local)
 * @param port         SSH port
 * @param identityFile path of the private key file used for SSH (a path, never key material)
 * @param knownHosts   known_hosts file to check the host key against (null: ~/.ssh/known_hosts)
 * @param outputS3     SSM only: {@code s3://bucket/prefix/} where Run Command puts whole outputs (null: none, outputs
 *                     come back through GetCommandInvocation in chunks)
 */
public record Target(Kind kind, String user, String host, int port, String identityFile, String knownHosts,
                     String outputS3) {

    public enum Kind { LOCAL, SSH, SSM }

    private static final Pattern SSH_SPEC =
            Pattern.compile("^(?:([A-Za-z0-9._-]+)@)?(\\[[0-9A-Fa-f:]+\\]|[A-Za-z0-9._-]+)(?::(\\d{1,5}))?$");

    public static final Target LOCAL = new Target(Kind.LOCAL, null, null, 0, null, null, null);

    /** Parses {@code user@host[:port]} (user defaults to root, port to 22). */
    public static Target ssh(String spec, String identityFile) {
        return ssh(spec, identityFile, null);
    }

    /** Parses {@code user@host[:port]} (user defaults to root, port to 22). */
    public static Target ssh(String spec, String identityFile, String knownHosts) {
        Matcher m = SSH_SPEC.matcher(spec == null ? "" : spec.trim());
        if (!m.matches()) {
            throw new CryptvolException("not an SSH target: '" + spec + "' (expected user@host[:port])", ExitCode.USAGE, null);
        }
        String user = m.group(1) == null ? "root" : m.group(1);
        String host = m.group(2);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = 22;
        if (m.group(3) != null) {
            port = Integer.parseInt(m.group(3));
            if (port < 1 || port > 65535) {
                throw new CryptvolException("port out of range in '" + spec + "'", ExitCode.USAGE, null);
            }
        }
        return new Target(Kind.SSH, user, host, port, identityFile, knownHosts, null);
    }

    private static final Pattern INSTANCE_ID = Pattern.compile("^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$");

    /** The environment variable that gives SSM targets S3 output when {@code connect} names none (fleet hosts inherit it). */
    public static final String OUTPUT_S3_ENV = "CRYPTVOL_SSM_OUTPUT_S3";

    /** Parses {@code ssm:i-…} (or a bare instance id): an instance reached through SSM Run Command. */
    public static Target ssm(String spec) {
        return ssm(spec, null);
    }

    /**
     * {@link #ssm(String)} with S3 output: {@code outputS3} ({@code s3://bucket[/prefix]}, checked by
     * {@link io.cryptvol.domain.model.S3Url}) is where Run Command puts each command's whole output; null: the
     * environment's {@value #OUTPUT_S3_ENV}, else none.
     */
    public static Target ssm(String spec, String outputS3) {
        if (outputS3 == null || outputS3.isBlank()) {
            outputS3 = System.getenv(OUTPUT_S3_ENV);
            outputS3 = outputS3 == null || outputS3.isBlank() ? null : outputS3;
        }
        String place = null;
        if (outputS3 != null) {
            try {
                place = io.cryptvol.domain.model.S3Url.parse(outputS3).toString();
            } catch (IllegalArgumentException e) {
                throw new CryptvolException("not an S3 place for SSM output: '" + io.cryptvol.domain.ControlChars.escape(outputS3)
                        + "': " + e.getMessage() + " (expected s3://BUCKET/PREFIX)", ExitCode.USAGE, null);
            }
        }
        String id = spec == null ? "" : spec.trim();
        if (id.startsWith("ssm:")) {
            id = id.substring(4);
        }
        if (!INSTANCE_ID.matcher(id).matches()) {
            throw new CryptvolException("not an SSM target: '" + io.cryptvol.domain.ControlChars.escape(spec)
                    + "' (expected ssm:i- and 17 hex digits)", ExitCode.USAGE, null);
        }
        return new Target(Kind.SSM, null, id, 0, null, null, place);
    }

    public boolean isSsm() {
        return kind == Kind.SSM;
    }

    public boolean isLocal() {
        return kind == Kind.LOCAL;
    }

    /** Short form for the prompt and messages: "local" or "user@host:port". */
    public String display() {
        if (isLocal()) {
            return "local";
        }
        if (isSsm()) {
            return "ssm:" + host;
        }
        String h = host.contains(":") ? "[" + host + "]" : host;
        return user + "@" + h + (port == 22 ? "" : ":" + port);
    }
}
