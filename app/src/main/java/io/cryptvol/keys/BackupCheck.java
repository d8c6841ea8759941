package io.cryptvol.keys;

/** The result of checking one copy of a key (a backup, or the key file itself). */
public record BackupCheck(String keyName, String location, Status status) {

    public enum Status {
        /** present, same SHA-256 as the key */
        OK,
        /** not there (deleted, or the drive is not mounted) */
        MISSING,
        /** present but different bytes: damaged or replaced */
        MISMATCH,
        /** present but cannot be read */
        UNREADABLE;

        public String describe() {
            return switch (this) {
                case OK -> "ok";
                case MISSING -> "missing (deleted, or the drive is not mounted)";
                case MISMATCH -> "DIFFERENT BYTES (damaged or replaced)";
                case UNREADABLE -> "unreadable";
            };
        }
    }

    public boolean ok() {
        return status == Status.OK;
    }
}
