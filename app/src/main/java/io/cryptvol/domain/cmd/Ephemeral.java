package io.cryptvol.domain.cmd;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The boot-time files of the ephemeral scratch (issue 19) and the commands that install, run and remove them.
 *
 * <p>At every boot one oneshot unit, {@value #UNIT}, runs {@value #SCRIPT}: it finds the instance-store NVMe disks by
 * their model ({@value #MODEL}; EBS volumes say "Amazon Elastic Block Store"), stripes them, opens plain dm-crypt on
 * the stripe with a key that {@code cryptsetup} reads from /dev/urandom itself (the key exists only in the kernel:
 * never in a file, argv, a log or cryptvol), and makes a new XFS file system and mounts it, or makes swap and enables
 * it. Nothing is kept from the boot before: a stop/start gives empty disks, and a reboot's old ciphertext is
 * unreadable under the new key anyway, so the script always builds from nothing, one path for every boot.
 *
 * <p><b>LVM striped LV, not md RAID0.</b> Both must be re-created at every boot by a unit, since a stop/start wipes
 * the disks, so neither's on-disk metadata helps. lvm2 is already on every host cryptvol serves (the EBS volumes are
 * LVM), so no package is added and the host's own tools build it; mdadm would be a new package whose udev incremental
 * assembly races the unit on a reboot. The VG is created with {@code --setautoactivation n} (udev leaves it alone at
 * the next boot; the unit alone decides) and {@code -An} (no metadata backups in /etc/lvm of a VG that lives one
 * boot).
 *
 * <p><b>The boot never waits.</b> No fstab or crypttab line: nothing makes systemd wait for a device. The unit waits at
 * most {@value #DISK_WAIT_SECONDS} s for the disks the setup counted and then builds on those there are (one missing
 * disk gives a smaller scratch and a journal line); {@code TimeoutStartSec} bounds the rest; it is only ever wanted,
 * never required, so its failure cannot stop the boot; swap and a mountpoint start beside the services, /tmp before
 * them (see {@link #unitText}).
 */
public final class Ephemeral {
    public static final String MODEL = "Amazon EC2 NVMe Instance Storage";
    public static final String UNIT = "cryptvol-ephemeral.service";
    public static final String UNIT_FILE = "/etc/systemd/system/" + UNIT;
    /** In /etc with the unit: every file the scratch needs at boot is in the one tree an image keeps as configuration. */
    public static final String SCRIPT = "/etc/cryptvol/ephemeral-scratch";
    public static final String VG = "cryptvol_ephemeral";
    public static final String LV = "scratch";
    public static final String MAPPING = "cryptvol-ephemeral";
    public static final String MAPPER_PATH = "/dev/mapper/" + MAPPING;
    public static final String CIPHER = "aes-xts-plain64";
    public static final int KEY_BITS = 512;
    public static final String STRIPE_SIZE = "64k";
    public static final int DISK_WAIT_SECONDS = 15;
    public static final int START_TIMEOUT_SECONDS = 120;
    public static final int MAX_DISKS = 8;

    /** What the scratch is for. */
    public enum Use {
        SWAP, TMP, MOUNTPOINT;

        public String word() {
            return name().toLowerCase();
        }

        public static Use parse(String s) {
            for (Use u : values()) {
                if (u.word().equals(s)) {
                    return u;
                }
            }
            return null;
        }
    }

    /** What the unit file says: the use, the disk count the setup planned, the mountpoint (null for swap). */
    public record Config(Use use, int disks, String mountpoint) {
        public String mountOptions() {
            return use == Use.TMP ? "noatime,nosuid,nodev" : "noatime";
        }

        /** "swap on 3 disks", "/tmp on 3 disks". */
        public String describe() {
            return (use == Use.SWAP ? "swap" : mountpoint) + " on " + disks + " instance-store disk" + (disks == 1 ? "" : "s");
        }
    }

    private Ephemeral() {
    }

    /** The boot script (POSIX sh). Its settings come from the unit's environment; nothing is evaluated. */
    public static final String SCRIPT_TEXT = String.join("\n",
            "#!/bin/sh",
            "# cryptvol ephemeral scratch (written by cryptvol): instance-store NVMe disks -> LVM striped LV ->",
            "# plain dm-crypt, key read by cryptsetup from /dev/urandom at every boot -> new XFS + mount, or swap.",
            "# Run by " + UNIT + " at every boot; its settings are the unit's EPHEMERAL_* variables.",
            "#   start: build it from nothing   stop: take it down   check: exactly EPHEMERAL_DISKS free disks?",
            "#   status: what is there (read-only)   wipe: stop, then drop the LVM labels from the disks",
            "set -u",
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            "MODEL='" + MODEL + "' MODEL_ENC='" + MODEL.replace(" ", "\\x20") + "'",
            "VG=" + VG + " LV=" + LV + " MAP=" + MAPPING,
            "USE=${EPHEMERAL_AS:-} DISKS=${EPHEMERAL_DISKS:-0} MP=${EPHEMERAL_MOUNTPOINT:-} OPTS=${EPHEMERAL_OPTIONS:-noatime}",
            "say() { echo \"cryptvol-ephemeral: $*\" >&2; }",
            "die() { say \"$*\"; exit 1; }",
            "# the instance-store disks, by their model as udev and lsblk report it (serials change with the hardware)",
            "disks() {",
            "  lsblk -dnr -o PATH,MODEL,TYPE 2>/dev/null | while read -r p m t; do",
            "    [ \"$t\" = disk ] || continue",
            "    case $m in \"$MODEL_ENC\"|\"$MODEL_ENC\"\\\\x20*) echo \"$p\";; esac",
            "  done | sort | head -n " + MAX_DISKS,
            "}",
            "count() { disks | wc -l; }",
            "# in use: mounted, swap, or held by something that is not this scratch's VG",
            "in_use() {",
            "  d=$1 b=${1##*/}",
            "  grep -q \"^$d[ p]\" /proc/mounts && return 0",
            "  grep -q \"^$d[ p]\" /proc/swaps && return 0",
            "  for h in /sys/block/$b/holders/* /sys/block/$b/$b*/holders/*; do",
            "    [ -e \"$h\" ] || continue",
            "    read -r hn < \"$h/dm/name\" 2>/dev/null || return 0",
            "    case $hn in \"$VG\"-*) ;; *) return 0;; esac",
            "  done",
            "  return 1",
            "}",
            "stop() {",
            "  if [ -e /dev/mapper/$MAP ]; then",
            "    dev=$(readlink -f /dev/mapper/$MAP)",
            "    if grep -q \"^$dev \\|^/dev/mapper/$MAP \" /proc/swaps; then swapoff \"$dev\" || die \"swapoff failed\"; fi",
            "    while findmnt -rn -S \"$dev\" >/dev/null 2>&1; do umount \"$dev\" || die \"cannot unmount $dev (busy?)\"; done",
            "    cryptsetup close $MAP || die \"cannot close $MAP\"",
            "  fi",
            "  if vgs $VG >/dev/null 2>&1; then vgchange -q -an $VG >/dev/null 2>&1 || die \"cannot deactivate $VG\"; fi",
            "  return 0",
            "}",
            "start() {",
            "  case $USE in swap) ;; tmp|mountpoint) [ -n \"$MP\" ] || die \"no mountpoint\";; *) die \"EPHEMERAL_AS is '$USE'\";; esac",
            "  # wait, bounded, for the disks the setup counted: a missing disk costs at most " + DISK_WAIT_SECONDS + " s",
            "  udevadm settle --timeout=10 >/dev/null 2>&1",
            "  i=0; while [ \"$(count)\" -lt \"$DISKS\" ] && [ $i -lt " + DISK_WAIT_SECONDS + " ]; do sleep 1; i=$((i + 1)); done",
            "  set -- $(disks)",
            "  [ $# -gt 0 ] || die \"no instance-store disk ($MODEL): no scratch this boot\"",
            "  [ $# -eq \"$DISKS\" ] || say \"found $# instance-store disks, set up for $DISKS: building on the $# there are\"",
            "  stop || exit 1",
            "  for d; do in_use \"$d\" && die \"$d is in use: not touching the instance store\"; done",
            "  for d; do wipefs -a -q \"$d\" || die \"cannot wipe $d\"; done",
            "  pvcreate -q -ff -y \"$@\" >/dev/null || die \"pvcreate failed\"",
            "  vgcreate -q -An --setautoactivation n $VG \"$@\" >/dev/null || die \"vgcreate failed\"",
            "  if [ $# -gt 1 ]; then stripes=\"-i $# -I " + STRIPE_SIZE + "\"; else stripes=; fi",
            "  lvcreate -q -An -y -Wy -Zn $stripes -l 100%VG -n $LV $VG >/dev/null || die \"lvcreate failed\"",
            "  cryptsetup open --type plain --cipher " + CIPHER + " --key-size " + KEY_BITS
                    + " --key-file /dev/urandom /dev/$VG/$LV $MAP || die \"cryptsetup open failed\"",
            "  if [ \"$USE\" = swap ]; then",
            "    mkswap /dev/mapper/$MAP >/dev/null || die \"mkswap failed\"",
            "    swapon /dev/mapper/$MAP || die \"swapon failed\"",
            "  else",
            "    mkfs.xfs -f -q -K /dev/mapper/$MAP || die \"mkfs.xfs failed\"",
            "    mkdir -p \"$MP\" && mount -o \"$OPTS\" /dev/mapper/$MAP \"$MP\" || die \"cannot mount $MP\"",
            "    if [ \"$USE\" = tmp ]; then chmod 1777 \"$MP\"; fi",
            "  fi",
            "  say \"$USE ready on $# disk(s): $*\"",
            "}",
            "check() {",
            "  n=$(count)",
            "  [ \"$n\" -eq \"$DISKS\" ] || die \"the instance has $n instance-store disks, the plan counted $DISKS: nothing was changed\"",
            "  for d in $(disks); do in_use \"$d\" && die \"$d is in use: nothing was changed\"; done",
            "  return 0",
            "}",
            "wipe() {",
            "  stop || exit 1",
            "  if vgs $VG >/dev/null 2>&1; then vgremove -q -ff -y $VG >/dev/null 2>&1; fi",
            "  for d in $(disks); do in_use \"$d\" || wipefs -a -q \"$d\"; done",
            "  return 0",
            "}",
            "case ${1:-} in",
            "  start) start;; stop) stop;; check) check;; wipe) wipe;;",
            "  *) echo \"usage: $0 start|stop|check|wipe\" >&2; exit 2;;",
            "esac",
            "");

    /**
     * The unit. For /tmp: {@code DefaultDependencies=no}, {@code Before=local-fs.target} and wanted by it, so /tmp is
     * mounted before the services that use it start; the boot waits for it at most {@value #START_TIMEOUT_SECONDS} s
     * (a want, never a requirement: a failure cannot stop the boot). Swap and a mountpoint start beside the services
     * (default dependencies, after local-fs.target, wanted by multi-user.target): nothing waits for them. The mountpoint
     * has been checked by {@code Inputs.mountpoint} (no spaces, quotes, backslashes); a '%' is written as "%%".
     */
    public static String unitText(Config c) {
        StringBuilder env = new StringBuilder("Environment=EPHEMERAL_AS=" + c.use().word() + " EPHEMERAL_DISKS=" + c.disks());
        String mounts = "";
        if (c.mountpoint() != null) {
            env.append(" EPHEMERAL_MOUNTPOINT=").append(c.mountpoint().replace("%", "%%"))
                    .append(" EPHEMERAL_OPTIONS=").append(c.mountOptions());
            mounts = "RequiresMountsFor=" + parentOf(c.mountpoint()).replace("%", "%%") + "\n";
        }
        boolean early = c.use() == Use.TMP;
        String order = early ? String.join("\n",
                "DefaultDependencies=no",
                "After=systemd-udevd.service systemd-udev-trigger.service systemd-remount-fs.service local-fs-pre.target",
                "Before=local-fs.target shutdown.target",
                "Conflicts=shutdown.target")
                : "After=local-fs.target systemd-udev-trigger.service";
        return String.join("\n",
                "# Written by cryptvol (ephemeral setup): " + c.describe() + ", a new random key at every boot.",
                "[Unit]",
                "Description=cryptvol ephemeral scratch on the instance store ("
                        + (c.use() == Use.SWAP ? "swap" : c.mountpoint().replace("%", "%%")) + ")",
                order,
                mounts + "[Service]",
                "Type=oneshot",
                "RemainAfterExit=yes",
                env.toString(),
                "ExecStart=" + SCRIPT + " start",
                "ExecStop=" + SCRIPT + " stop",
                "TimeoutStartSec=" + START_TIMEOUT_SECONDS,
                "TimeoutStopSec=60",
                "",
                "[Install]",
                "WantedBy=" + (early ? "local-fs.target" : "multi-user.target"),
                "");
    }

    static String parentOf(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    /** The {@code EPHEMERAL_*} settings of a unit file this class wrote; null when it is not one. */
    public static Config parseUnit(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.startsWith("Environment=")) {
                for (String kv : l.substring("Environment=".length()).split(" ")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        env.put(kv.substring(0, eq), kv.substring(eq + 1).replace("%%", "%"));
                    }
                }
            }
        }
        Use use = Use.parse(env.getOrDefault("EPHEMERAL_AS", ""));
        String n = env.getOrDefault("EPHEMERAL_DISKS", "");
        if (use == null || !n.matches("[1-9][0-9]?")) {
            return null;
        }
        return new Config(use, Integer.parseInt(n), use == Use.SWAP ? null : env.get("EPHEMERAL_MOUNTPOINT"));
    }

    // ---- commands -----------------------------------------------------------------------------------

    /** Writes {@code text} to {@code path} with {@code mode} (through a temporary file renamed into place). */
    public static HostCommand writeFile(String description, String path, String mode, String text) {
        return HostCommand.of(description, "sh", "-c",
                "umask 077; mkdir -p \"${1%/*}\" && cat > \"$1.cryptvol-new\" && chmod \"$2\" \"$1.cryptvol-new\" && mv -f \"$1.cryptvol-new\" \"$1\"",
                "sh", path, mode).withStdin(text.getBytes(StandardCharsets.UTF_8));
    }

    public static HostCommand installScript() {
        return writeFile("Write the boot script " + SCRIPT, SCRIPT, "0755", SCRIPT_TEXT);
    }

    public static HostCommand installUnit(Config c) {
        return writeFile("Write the unit " + UNIT_FILE + " (" + c.describe() + ")", UNIT_FILE, "0644", unitText(c));
    }

    public static HostCommand daemonReload() {
        return HostCommand.of("Reload systemd's units", "systemctl", "daemon-reload");
    }

    public static HostCommand enable() {
        return HostCommand.of("Enable " + UNIT + " at every boot", "systemctl", "enable", "--quiet", UNIT);
    }

    /** Exactly the planned number of instance-store disks, none in use: checked again just before the first change. */
    public static HostCommand check(Config c) {
        return HostCommand.of("Check again: " + c.disks() + " instance-store disk" + (c.disks() == 1 ? "" : "s")
                + ", none in use", "env", "EPHEMERAL_DISKS=" + c.disks(), SCRIPT, "check");
    }

    public static HostCommand startNow() {
        return HostCommand.of("Start " + UNIT + " now (stripe, random key, " + "file system or swap)", "systemctl",
                "start", UNIT).withTimeout(java.time.Duration.ofSeconds(START_TIMEOUT_SECONDS + 30));
    }

    public static HostCommand mkdir(String mountpoint) {
        return HostCommand.of("Create " + mountpoint, "mkdir", "-p", mountpoint);
    }

    /** Stops the unit (unmount or swapoff, close, deactivate) and disables it. */
    public static HostCommand disableNow() {
        return HostCommand.of("Stop and disable " + UNIT + " (unmount or swapoff, close the mapping)", "systemctl",
                "disable", "--now", "--quiet", UNIT).withTimeout(java.time.Duration.ofSeconds(90));
    }

    /** Drops the VG and the LVM labels from the instance-store disks (their content was under a forgotten key). */
    public static HostCommand wipe(Config c) {
        return HostCommand.of("Remove VG " + VG + " and the LVM labels from the instance-store disks", "env",
                "EPHEMERAL_AS=" + c.use().word(), "EPHEMERAL_DISKS=" + c.disks(), SCRIPT, "wipe");
    }

    public static HostCommand removeFiles() {
        return HostCommand.of("Remove " + UNIT_FILE + " and " + SCRIPT, "rm", "-f", UNIT_FILE, SCRIPT);
    }

    /** Read-only: systemd as PID 1, the unit file, its state, /proc/swaps, the mapping's status (sections). */
    public static final String OBSERVE_SCRIPT = String.join("\n",
            "sec() { printf '\\n@@cryptvol-section %s\\n' \"$1\"; }",
            "end() { printf '\\n@@cryptvol-exit %s\\n' \"$1\"; }",
            "sec systemd; [ -d /run/systemd/system ]; end $?",
            "sec unit; if [ -e " + UNIT_FILE + " ]; then cat " + UNIT_FILE + "; else false; fi; end $?",
            "sec script; [ -x " + SCRIPT + " ]; end $?",
            "sec enabled; systemctl is-enabled " + UNIT + " 2>/dev/null; end $?",
            "sec active; systemctl is-active " + UNIT + " 2>/dev/null; end $?",
            "sec swaps; cat /proc/swaps; end $?",
            "sec crypt; cryptsetup status " + MAPPING + " 2>/dev/null; end $?",
            "sec journal; journalctl -b -u " + UNIT + " -o cat --no-pager -n 5 2>/dev/null; end $?");

    public static HostCommand observe() {
        return HostCommand.query("Observe the ephemeral scratch (unit, swaps, mapping)", List.of("sh", "-c", OBSERVE_SCRIPT));
    }
}
