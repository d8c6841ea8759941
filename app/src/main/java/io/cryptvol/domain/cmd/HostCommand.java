package io.cryptvol.domain.cmd;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One command run on the target host: an argv list (never a shell string), optional stdin bytes
 * and a human description. Secrets (key bytes) may only travel in {@code stdin}; when
 * {@code stdinSecret} is true the bytes are never printed, logged or kept in a transcript.
 *
 * @param argv        the program and its arguments; must not contain secrets
 * @param stdin       bytes written to the process's standard input, or null
 * @param stdinSecret true when stdin holds secret bytes (redacted everywhere)
 * @param description what the step does, for plans and progress ("Create PV on /dev/nvme1n1")
 * @param timeout     per-command timeout, or null for the executor's default
 * @param privileged  true when the command needs root (executors add sudo -n when not root)
 * @param readOnly    true when the command only observes the host (lsblk, lvs, luksDump, blkid …);
 *                    a dry run still executes these so that it can build its plan from the real host
 */
public record HostCommand(List<String> argv, byte[] stdin, boolean stdinSecret, String description,
                          Duration timeout, boolean privileged, boolean readOnly) {

    /** A command that may change the host (readOnly = false); the original six-field shape. */
    public HostCommand(List<String> argv, byte[] stdin, boolean stdinSecret, String description,
                       Duration timeout, boolean privileged) {
        this(argv, stdin, stdinSecret, description, timeout, privileged, false);
    }

    public HostCommand {
        Objects.requireNonNull(argv, "argv");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty argv");
        }
        argv = List.copyOf(argv);
        description = description == null ? String.join(" ", argv) : description;
    }

    /** A privileged command without stdin. */
    public static HostCommand of(String description, String... argv) {
        return new HostCommand(List.of(argv), null, false, description, null, true);
    }

    /** A privileged command without stdin. */
    public static HostCommand of(String description, List<String> argv) {
        return new HostCommand(argv, null, false, description, null, true);
    }

    /**
     * A privileged, read-only observation of the host (lsblk -J, lvs --reportformat json, …).
     * Dry runs execute these through their delegate; everything else is only recorded.
     */
    public static HostCommand query(String description, String... argv) {
        return new HostCommand(List.of(argv), null, false, description, null, true, true);
    }

    /** See {@link #query(String, String...)}. */
    public static HostCommand query(String description, List<String> argv) {
        return new HostCommand(argv, null, false, description, null, true, true);
    }

    /** Same command with secret bytes on stdin. */
    public HostCommand withSecretStdin(byte[] secret) {
        return new HostCommand(argv, secret, true, description, timeout, privileged, readOnly);
    }

    /** Same command with non-secret bytes on stdin. */
    public HostCommand withStdin(byte[] bytes) {
        return new HostCommand(argv, bytes, false, description, timeout, privileged, readOnly);
    }

    public HostCommand withTimeout(Duration t) {
        return new HostCommand(argv, stdin, stdinSecret, description, t, privileged, readOnly);
    }

    public HostCommand unprivileged() {
        return new HostCommand(argv, stdin, stdinSecret, description, timeout, false, readOnly);
    }

    /** Same command marked as a read-only observation (see {@link #query(String, String...)}). */
    public HostCommand asQuery() {
        return new HostCommand(argv, stdin, stdinSecret, description, timeout, privileged, true);
    }

    /** Number of stdin bytes (0 when none); safe to show, the bytes themselves never are. */
    public int stdinLength() {
        return stdin == null ? 0 : stdin.length;
    }

    /** The argv as a shell-quoted line, safe to show (argv never holds secrets). */
    public String commandLine() {
        return ShellQuote.join(argv) + (stdin == null ? "" : stdinSecret ? "  < [secret on stdin]" : "  < [stdin]");
    }

    @Override
    public String toString() {
        // never print stdin bytes
        return "HostCommand[" + commandLine() + "]";
    }
}
