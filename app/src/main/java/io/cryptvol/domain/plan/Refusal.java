package io.cryptvol.domain.plan;

/**
 * Why a planner will not plan: one line, naming the device or object, that a person can act on.
 */
public record Refusal(Reason reason, String subject, String message) {

    public enum Reason {
        INVALID_SPEC, MISSING_DEVICE, NOT_A_DISK, HAS_SIGNATURE, MOUNTED, HAS_HOLDERS, PV_OF_OTHER_VG,
        UNEQUAL_SIZES, VG_HAS_OTHER_PVS, VG_HAS_OTHER_LVS, LV_LAYOUT_DIFFERS, LV_MISSING, FOREIGN_SIGNATURE,
        LUKS_KEY_DOES_NOT_OPEN, LUKS_KEY_NOT_CHECKED, MAPPING_ELSEWHERE, FILESYSTEM_DIFFERS, FSTAB_CONFLICT,
        CRYPTTAB_CONFLICT, MOUNTPOINT_BUSY, IN_USE, STRIPES_MISMATCH, NOT_MOUNTED,
        // a value refused before anything is looked at or changed (domain/plan/Inputs)
        INVALID_NAME, INVALID_MOUNTPOINT, SYSTEM_DIRECTORY, INVALID_MOUNT_OPTIONS, UNSUPPORTED_LUKS_OPTION,
        INVALID_STRIPES,
        // what the host holds at the mountpoint (HostState.pathAt)
        MOUNTPOINT_NOT_DIRECTORY, MOUNTPOINT_NOT_EMPTY,
        // a member of the VG is not attached (EC2 volume id when known)
        MEMBER_MISSING,
        // adopt: what cryptvol cannot take over (no LUKS, not LVM, mdadm, an unknown file system)
        NOT_ADOPTABLE, AMBIGUOUS,
        // a key file would have to be written where it could reach a disk (HostState.keyDirOnTmpfs)
        KEY_DIR_NOT_TMPFS,
        // ephemeral scratch: no instance-store disk, no systemd as PID 1, already set up another way
        NO_INSTANCE_STORE, NO_SYSTEMD, ALREADY_SET_UP,
        // unattended unlock (#18): a program the instance lacks (the AWS CLI); a key slot that must stay
        TOOL_MISSING, LAST_KEY_SLOT
    }

    public static Refusal of(Reason reason, String subject, String message) {
        return new Refusal(reason, subject, message);
    }

    public String line() {
        return subject + ": " + message;
    }
}
