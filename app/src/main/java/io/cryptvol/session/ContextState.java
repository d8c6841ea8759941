package io.cryptvol.session;

/** The persisted form of {@link SessionContext}: names and paths only, never secrets. */
public record ContextState(Target target, String instanceId, String vg, String lv, String mapping,
                           String mountpoint) {
}
