package io.cryptvol.domain.plan;

/** What a plan step does; tests compare plans by their kinds. */
public enum StepKind {
    CREATE_PV, CREATE_VG, CREATE_LV, ACTIVATE_VG, LOAD_MODULES, LUKS_FORMAT, LUKS_ADD_KEY, OPEN_MAPPING,
    MAKE_FS, ADD_CRYPTTAB, ADD_FSTAB, MOUNT,
    WIPE_DEVICE, DROP_HEADER,
    UNMOUNT, CLOSE_MAPPING, DEACTIVATE_VG,
    EXTEND_VG, EXTEND_LV, RESIZE_MAPPING, GROW_FS
}
