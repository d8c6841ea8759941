package io.cryptvol.domain.model;

/**
 * What a path is on the host, as the observation's {@code path} section reports it (test and stat by the
 * shell, no process but {@code ls} for a directory), or for fstab's mountpoints only whether each is a directory.
 *
 * @param kind    what is there
 * @param blocker for {@link Kind#BLOCKED}: the nearest ancestor that exists and is not a directory
 */
public record PathInfo(Kind kind, String blocker) {

    public enum Kind {
        /** Nothing there; every existing ancestor is a directory, so {@code mkdir -p} can make it. */
        MISSING,
        EMPTY_DIRECTORY,
        NON_EMPTY_DIRECTORY,
        /** A regular file, a device node, a socket, a FIFO: anything that exists and is not a directory. */
        NOT_A_DIRECTORY,
        SYMLINK,
        /**
         * A directory, whether empty not looked at: the observation's quick test of fstab's mountpoints (the
         * shell's {@code test -d}, no process); a mountpoint in the observation's scope is one of the kinds above.
         */
        DIRECTORY,
        /** An ancestor exists and is not a directory ({@code /etc/passwd/x}): {@code mkdir -p} would fail. */
        BLOCKED
    }

    /** The section body: "missing", "dir-empty", "dir-nonempty", "file", "symlink" or "blocked PATH". */
    public static PathInfo parse(String body) {
        String b = body == null ? "" : body.strip();
        return switch (b.split(" ", 2)[0]) {
            case "missing" -> new PathInfo(Kind.MISSING, null);
            case "dir-empty" -> new PathInfo(Kind.EMPTY_DIRECTORY, null);
            case "dir-nonempty" -> new PathInfo(Kind.NON_EMPTY_DIRECTORY, null);
            case "symlink" -> new PathInfo(Kind.SYMLINK, null);
            case "blocked" -> new PathInfo(Kind.BLOCKED, b.contains(" ") ? b.split(" ", 2)[1] : null);
            default -> new PathInfo(Kind.NOT_A_DIRECTORY, null);
        };
    }
}
