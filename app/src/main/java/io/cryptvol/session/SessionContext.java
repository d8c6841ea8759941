package io.cryptvol.session;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What the session is working on: the target and its instance id, and the selected VG, LV,
 * LUKS mapping and mountpoint. Commands read their defaults from here; the prompt shows it.
 * Holds no secrets, so it can be persisted as is.
 */
public class SessionContext {

    /** The selectable parts, as typed after {@code use}. */
    public enum Part { VG, LV, MAPPING, MOUNTPOINT, INSTANCE }

    private Target target = Target.LOCAL;
    private String instanceId;
    private String vg;
    private String lv;
    private String mapping;
    private String mountpoint;
    private final List<Consumer<SessionContext>> listeners = new ArrayList<>();

    public synchronized Target target() {
        return target;
    }

    public synchronized String instanceId() {
        return instanceId;
    }

    public synchronized String vg() {
        return vg;
    }

    public synchronized String lv() {
        return lv;
    }

    public synchronized String mapping() {
        return mapping;
    }

    public synchronized String mountpoint() {
        return mountpoint;
    }

    public void setTarget(Target newTarget) {
        synchronized (this) {
            boolean changed = !Objects.equals(target, newTarget);
            target = Objects.requireNonNull(newTarget);
            if (changed) {
                // another host: what was selected there means nothing here (an SSM target names its instance)
                instanceId = newTarget.isSsm() ? newTarget.host() : null;
                vg = null;
                lv = null;
                mapping = null;
                mountpoint = null;
            }
        }
        fire();
    }

    public String get(Part part) {
        synchronized (this) {
            return switch (part) {
                case VG -> vg;
                case LV -> lv;
                case MAPPING -> mapping;
                case MOUNTPOINT -> mountpoint;
                case INSTANCE -> instanceId;
            };
        }
    }

    /** Sets one part; null clears it. Selecting another VG clears the LV. */
    public void set(Part part, String value) {
        synchronized (this) {
            switch (part) {
                case VG -> {
                    if (!Objects.equals(vg, value)) {
                        lv = null;
                    }
                    vg = value;
                }
                case LV -> lv = value;
                case MAPPING -> mapping = value;
                case MOUNTPOINT -> mountpoint = value;
                case INSTANCE -> instanceId = value;
            }
        }
        fire();
    }

    public void addListener(Consumer<SessionContext> listener) {
        synchronized (this) {
            listeners.add(listener);
        }
    }

    private void fire() {
        List<Consumer<SessionContext>> copy;
        synchronized (this) {
            copy = List.copyOf(listeners);
        }
        copy.forEach(l -> l.accept(this));
    }

    /** The short summary the prompt shows, e.g. "i-0abc… myvg/mylv → myencryptedlv". Empty when nothing is set. */
    public synchronized String summary() {
        StringBuilder sb = new StringBuilder();
        if (!target.isLocal()) {
            sb.append(target.display());
        }
        if (instanceId != null) {
            append(sb, abbreviate(instanceId, 12));
        }
        if (vg != null) {
            append(sb, lv == null ? vg : vg + "/" + lv);
        }
        if (mapping != null) {
            sb.append(sb.length() == 0 ? "" : " ").append("→ ").append(mapping);
        }
        if (mountpoint != null) {
            append(sb, "@" + mountpoint);
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, String s) {
        if (sb.length() > 0) {
            sb.append(' ');
        }
        sb.append(s);
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /** Copies everything from a stored state (used on start). */
    public void restore(ContextState s) {
        synchronized (this) {
            target = s.target() == null ? Target.LOCAL : s.target();
            instanceId = s.instanceId();
            vg = s.vg();
            lv = s.lv();
            mapping = s.mapping();
            mountpoint = s.mountpoint();
        }
        fire();
    }

    public synchronized ContextState state() {
        return new ContextState(target, instanceId, vg, lv, mapping, mountpoint);
    }
}
