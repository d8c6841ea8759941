package io.cryptvol.domain.model;

import io.cryptvol.domain.cmd.Ephemeral;

import java.util.List;

/**
 * What the host says about its ephemeral scratch, beside the {@link HostState}: one read-only command
 * ({@link Ephemeral#observe()}).
 *
 * @param systemd     systemd is PID 1 (/run/systemd/system exists)
 * @param unitText    the unit file's text, null when there is none
 * @param script      the boot script is there and executable
 * @param enabled     {@code systemctl is-enabled} ("enabled", "disabled", "" when unknown)
 * @param active      {@code systemctl is-active} ("active", "inactive", "failed", …)
 * @param swaps       /proc/swaps
 * @param cryptStatus {@code cryptsetup status} of the mapping, "" when it is not open
 * @param journal     the unit's last journal lines of this boot (host text: escape before showing)
 */
public record EphemeralFacts(boolean systemd, String unitText, boolean script, String enabled, String active,
                             String swaps, String cryptStatus, String journal) {

    public static EphemeralFacts none() {
        return new EphemeralFacts(true, null, false, "", "", "", "", "");
    }

    /** The settings of the unit cryptvol wrote; null when there is no unit file or it is not cryptvol's. */
    public Ephemeral.Config config() {
        return Ephemeral.parseUnit(unitText);
    }

    public boolean unitPresent() {
        return unitText != null;
    }

    public boolean isActive() {
        return "active".equals(active);
    }

    public boolean isEnabled() {
        return "enabled".equals(enabled);
    }

    /** Device paths in /proc/swaps. */
    public List<String> swapDevices() {
        return swaps == null ? List.of() : swaps.lines().skip(1).map(l -> l.split("\\s+")[0]).filter(s -> !s.isEmpty())
                .toList();
    }

    /** A "key: value" line of {@code cryptsetup status} ("type", "cipher", "keysize", "size"), "" when absent. */
    public String crypt(String key) {
        if (cryptStatus == null) {
            return "";
        }
        for (String l : cryptStatus.split("\n")) {
            int c = l.indexOf(':');
            if (c > 0 && l.substring(0, c).strip().equals(key)) {
                return l.substring(c + 1).strip();
            }
        }
        return "";
    }
}
