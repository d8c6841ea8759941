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
 */
public record Target(Kind kind, String user, String host, int port, String identityFile, String knownHosts) {

    public enum Kind { LOCAL, SSH, SSM }

    private static final Pattern SSH_SPEC =
            Pattern.compile("^(?:([A-Za-z0-9._-]+)@)?(\\[[0-9A-Fa-f:]+\\]|[A-Za-z0-9._-]+)(?::(\\d{1,5}))?$");

    public static final Target LOCAL = new Target(Kind.LOCAL, null, null, 0, null, null);

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
        return new Target(Kind.SSH, user, host, port, identityFile, knownHosts);
    }

    private static final Pattern INSTANCE_ID = Pattern.compile("^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$");

    /** Parses {@code ssm:i-…} (or a bare instance id): an instance reached through SSM Run Command. */
    public static Target ssm(String spec) {
        String id = spec == null ? "" : spec.trim();
        if (id.startsWith("ssm:")) {
            id = id.substring(4);
        }
        if (!INSTANCE_ID.matcher(id).matches()) {
            throw new CryptvolException("not an SSM target: '" + io.cryptvol.domain.ControlChars.escape(spec)
                    + "' (expected ssm:i- and 17 hex digits)", ExitCode.USAGE, null);
        }
        return new Target(Kind.SSM, null, id, 0, null, null);
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
