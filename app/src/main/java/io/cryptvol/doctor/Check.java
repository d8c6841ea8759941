package io.cryptvol.doctor;

/**
 * One line of the checklist.
 *
 * @param id      the check's stable id ({@link Doctor#IDS}), the same for every subject it looks at
 * @param subject what was checked: a device, a key, a VG, a file; "host" when the check is about the whole host
 * @param status  ok, warn, fail, or skipped (the line says why)
 * @param message one line a person reads (values from the host escaped)
 * @param fix     what to run to repair it: a cryptvol command where one exists, else the host command; null when ok
 */
public record Check(String id, String subject, Status status, String message, String fix) {

    public enum Status {
        OK, WARN, FAIL, SKIPPED;

        /** "ok", "warn", "fail", "skipped": the words of the table and of the JSON. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Values from the host stay as they are here: the table escapes control characters, the JSON escapes them as JSON. */
    public Check {
        subject = subject == null ? "host" : subject;
    }

    static Check ok(String id, String subject, String message) {
        return new Check(id, subject, Status.OK, message, null);
    }

    static Check warn(String id, String subject, String message, String fix) {
        return new Check(id, subject, Status.WARN, message, fix);
    }

    static Check fail(String id, String subject, String message, String fix) {
        return new Check(id, subject, Status.FAIL, message, fix);
    }

    static Check skipped(String id, String subject, String reason) {
        return new Check(id, subject, Status.SKIPPED, reason, null);
    }
}
