package io.cryptvol.domain.cmd;


/** Idempotent edits of /etc/fstab and /etc/crypttab on the host. */
public final class EtcFiles {
    public static final String FSTAB = "/etc/fstab";
    public static final String CRYPTTAB = "/etc/crypttab";

    /**
     * $1 = line, $2 = file: add a final newline if the file lacks one, then append the line unless
     * exactly that line is already there.
     */
    public static final String APPEND_ONCE = "if [ -s \"$2\" ] && [ -n \"$(tail -c1 \"$2\")\" ]; then echo >> \"$2\"; fi; "
            + "grep -qxF -- \"$1\" \"$2\" 2>/dev/null || printf '%s\\n' \"$1\" >> \"$2\"";

    private EtcFiles() {
    }

    public static HostCommand appendLine(String file, String line) {
        return HostCommand.of("Add to " + file + ": " + line, "sh", "-c", APPEND_ONCE, "sh", line, file);
    }
}
