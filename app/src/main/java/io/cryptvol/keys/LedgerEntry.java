package io.cryptvol.keys;

import java.time.Instant;

/**
 * One place key bytes were written outside the key directory.
 *
 * @param id         short random id, stable for the entry's life
 * @param kind       where the copy lives: on the target host (written through its executor) or on this machine
 * @param where      the host: the executor's target name ("local", "admin@10.0.0.5:22"); "this machine" for
 *                   {@link Kind#LOCAL_FILE}
 * @param path       absolute path of the copy
 * @param keyName    which key (or the label of a throwaway key)
 * @param created    when it was recorded (before the bytes were written)
 * @param shredded   true once the copy is known to be gone
 * @param shreddedAt when that was established
 */
public record LedgerEntry(String id, Kind kind, String where, String path, String keyName, Instant created,
                          boolean shredded, Instant shreddedAt) {

    public enum Kind {
        /** a file on the target host (tmpfs), written and shredded through the host executor */
        TARGET_FILE,
        /** a temporary file on this machine, shredded here */
        LOCAL_FILE
    }

    public static final String THIS_MACHINE = "this machine";

    public boolean outstanding() {
        return !shredded;
    }

    /** Is this copy on the host an executor or target with this name reaches? ("user@h:22" equals "user@h"). */
    public boolean isOn(String target) {
        return kind == Kind.TARGET_FILE && sameHost(where, target);
    }

    static boolean sameHost(String a, String b) {
        return a != null && b != null && normalize(a).equals(normalize(b));
    }

    private static String normalize(String t) {
        return t.endsWith(":22") ? t.substring(0, t.length() - 3) : t;
    }

    LedgerEntry shredded(Instant at) {
        return new LedgerEntry(id, kind, where, path, keyName, created, true, at);
    }
}
