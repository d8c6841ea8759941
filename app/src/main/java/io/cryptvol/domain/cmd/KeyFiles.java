package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;

import java.util.regex.Pattern;

/**
 * Key files on the target's tmpfs, for the one case where a key cannot travel on stdin (the new key
 * of luksAddKey). The directory is 0700 under /run (tmpfs); each file is written with umask 077
 * from stdin and removed with shred -u by the step's cleanup.
 */
public final class KeyFiles {
    public static final String DIR = "/run/cryptvol";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{4,64}");

    private KeyFiles() {
    }

    /** /run/cryptvol/TOKEN.key; the token should be random (the caller's supplier). */
    public static String path(String token) {
        if (!TOKEN.matcher(token).matches()) {
            throw new CryptvolException("bad key file token '" + token + "'");
        }
        return DIR + "/" + token + ".key";
    }

    public static HostCommand makeDir() {
        return HostCommand.of("Create " + DIR + " (0700, tmpfs)", "install", "-d", "-m", "0700", DIR);
    }

    /** Shell: the file system type of {@link #DIR}, or of /run before it exists ({@code stat -f -c %T}). */
    private static final String FS_TYPE = "d=" + DIR + "; [ -d \"$d\" ] || d=/run; stat -f -c %T \"$d\"";

    /** The one rule (the same as {@link #tmpfsCheck}'s): a key file may be written only where it stays in memory, a tmpfs. */
    public static boolean onTmpfs(String fsType) {
        return fsType != null && fsType.strip().equals("tmpfs");
    }

    /**
     * Shell for the host observation: prints the file system type {@link #onTmpfs} rules on, so that a planner
     * refuses before step 1 rather than at the key step ({@code HostState.keyDirOnTmpfs}).
     */
    public static String fsTypeScript() {
        return FS_TYPE;
    }

    /**
     * Exit 0 only when {@link #DIR} (or /run, before it exists) is on tmpfs: key bytes must never land on a
     * disk. The first command of every key file write (the host may have changed since it was observed).
     */
    public static HostCommand tmpfsCheck() {
        return HostCommand.of("Check that " + DIR + " is on tmpfs", "sh", "-c",
                "d=\"$1\"; [ -d \"$d\" ] || d=/run; t=$(stat -f -c %T \"$d\") || exit 1; "
                        + "[ \"$t\" = tmpfs ] || { echo \"$d is on $t, not tmpfs: refusing to write a key file there\" >&2; exit 1; }",
                "sh", DIR);
    }

    /** Writes stdin to {@code path}, readable by root only. The key goes on stdin. */
    public static HostCommand write(String path) {
        return HostCommand.of("Write a key file " + path, "sh", "-c", "umask 077 && cat > \"$1\"", "sh", path);
    }

    /** The path a {@link #write} command writes key bytes to, if it is one. */
    public static java.util.Optional<String> writtenPath(HostCommand c) {
        java.util.List<String> a = c.argv();
        if (a.size() == 5 && a.get(0).equals("sh") && a.get(2).startsWith("umask 077 && cat >")) {
            return java.util.Optional.of(a.get(4));
        }
        return java.util.Optional.empty();
    }

    /** The path a {@link #shred} command scrubs, if it is one. */
    public static java.util.Optional<String> shreddedPath(HostCommand c) {
        java.util.List<String> a = c.argv();
        if (a.size() == 3 && a.get(0).equals("shred") && a.get(1).equals("-u")) {
            return java.util.Optional.of(a.get(2));
        }
        return java.util.Optional.empty();
    }

    public static HostCommand shred(String path) {
        return HostCommand.of("Shred " + path, "shred", "-u", path);
    }

    /**
     * Asks whether anything is still at {@code path} (a file, or a link even a dangling one): exit 0 yes,
     * 1 no, anything else unknown. Run after {@link #shred}: an exit code of 0 from shred does not prove
     * the file is gone (a wrapper, an alias, a file put back), so the ledger trusts only this answer.
     */
    public static HostCommand stillThere(String path) {
        return HostCommand.query("Check that " + path + " is gone", "test", "-e", path, "-o", "-L", path);
    }
}
