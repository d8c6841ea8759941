package io.cryptvol.domain.plan;

/** What a plan step does; tests compare plans by their kinds. */
public enum StepKind {
    CREATE_PV, CREATE_VG, CREATE_LV, ACTIVATE_VG, LOAD_MODULES, LUKS_FORMAT, LUKS_ADD_KEY, OPEN_MAPPING,
    MAKE_FS, ADD_CRYPTTAB, ADD_FSTAB, MOUNT,
    WIPE_DEVICE, DROP_HEADER,
    UNMOUNT, CLOSE_MAPPING, DEACTIVATE_VG,
    EXTEND_VG, EXTEND_LV, RESIZE_MAPPING, GROW_FS,
    SNAPSHOT, IMPORT_CLONE, NEW_LUKS_UUID,
    HEADER_BACKUP, HEADER_RESTORE,
    WRITE_BOOT_FILE, ENABLE_UNIT, CHECK_DISKS, START_UNIT, STOP_UNIT, WIPE_SCRATCH,
    TOKEN_IMPORT, TOKEN_REMOVE, KILL_SLOT, UNIT_INSTALL, UNIT_REMOVE;

    /**
     * True for the steps that write a LUKS header (format, a key slot added or killed, a token imported or removed, a
     * new UUID): a plan with one backs the header up after it ({@link HeaderPlanner#unbackedChanges}). A new kind that
     * changes a header says so here.
     */
    public boolean changesLuksHeader() {
        return this == LUKS_FORMAT || this == LUKS_ADD_KEY || this == NEW_LUKS_UUID
                || this == TOKEN_IMPORT || this == TOKEN_REMOVE || this == KILL_SLOT;
    }
}
