package io.cryptvol.host;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.EtcFiles;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.cmd.Probe;
import io.cryptvol.domain.cmd.RawHeader;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.CrypttabFile;
import io.cryptvol.domain.model.FstabFile;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.PathInfo;
import io.cryptvol.domain.model.PvSegment;
import io.cryptvol.domain.model.Signature;
import io.cryptvol.domain.parse.BlkidParser;
import io.cryptvol.domain.parse.FuserParser;
import io.cryptvol.domain.parse.LsblkParser;
import io.cryptvol.domain.parse.LuksDumpParser;
import io.cryptvol.domain.parse.LvmReportParser;
import io.cryptvol.domain.parse.MountsParser;
import io.cryptvol.domain.parse.PvSegmentsParser;
import io.cryptvol.domain.plan.Inputs;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Looks at the target through read-only commands and parses their machine output into a
 * {@link HostState}. Never changes anything; safe under dry-run (its commands are queries).
 *
 * <p>{@link #observe(Scope, PlanRunner.KeySource)} is what the planners get: devices, LVM, mounts,
 * /etc/fstab and /etc/crypttab, blkid signatures of the devices in scope (and of every LV and open
 * crypt mapping), luksDump of the LUKS ones, and — when keys are named — whether each key opens each
 * LUKS header ({@code cryptsetup open --test-passphrase}, key bytes on stdin only).
 */
public final class HostObserver {
    private final HostExecutor executor;
    private final List<io.cryptvol.domain.plan.PlanStep> overlay;
    private boolean withSegments;
    private boolean withHeaders;
    private List<PvSegment> segments;
    private final java.util.Map<String, RawRead> rawHeaders = new java.util.LinkedHashMap<>();

    /**
     * A header read from the PVs in the observation's round trip ({@link RawHeader#FROM_SEGMENTS}).
     *
     * @param chunks the chunks the script read ({@link RawHeader#line}): to compare with what the report says
     * @param exit   od's exit code
     * @param hex    od's output
     */
    public record RawRead(String chunks, int exit, String hex) {
    }

    /** Observes the host as it is. */
    public HostObserver(HostExecutor executor) {
        this(executor, List.of());
    }

    /**
     * @param overlay steps a dry run planned but skipped ({@code SessionMode.overlay()}): {@link #observe} lays
     *                their effects over what it sees, so a later line is planned as if they had run
     */
    public HostObserver(HostExecutor executor, List<io.cryptvol.domain.plan.PlanStep> overlay) {
        this.executor = executor;
        this.overlay = List.copyOf(overlay);
    }

    /**
     * What to look at closely.
     *
     * @param devices     paths to probe with blkid (candidate disks, LV paths, mapper paths)
     * @param keyNames    keys to test against every LUKS header found on those devices
     * @param mountpoints mountpoints whose users to list (fuser)
     */
    public record Scope(List<String> devices, List<String> keyNames, List<String> mountpoints) {
        public Scope {
            devices = devices == null ? List.of() : List.copyOf(devices);
            keyNames = keyNames == null ? List.of() : List.copyOf(keyNames);
            mountpoints = mountpoints == null ? List.of() : List.copyOf(mountpoints);
        }

        public static Scope of(List<String> devices, List<String> keyNames) {
            return new Scope(devices, keyNames, List.of());
        }
    }

    /**
     * {@link #observe}, and in the same command the PV segments from LVM metadata (the "pvseg" rows of the observation's
     * {@code lvm fullreport}; {@code Lvm#pvSegmentsReport}'s only when that failed; see {@link #segments}): what the
     * unlock guide reads to find LVs of inactive and exported VGs, without a second round trip or LVM scan.
     */
    public HostState observeWithSegments(Scope scope, PlanRunner.KeySource keys) {
        return observeWithSegments(scope, keys, false);
    }

    /**
     * @param rawHeaders also read, in the same command, the first {@link RawHeader#BYTES} bytes of every inactive
     *                   LV from its PVs ({@link RawHeader#FROM_SEGMENTS}); see {@link #rawHeader}
     */
    public HostState observeWithSegments(Scope scope, PlanRunner.KeySource keys, boolean rawHeaders) {
        withSegments = true;
        withHeaders = rawHeaders;
        try {
            return observe(scope, keys);
        } finally {
            withSegments = false;
            withHeaders = false;
        }
    }

    /**
     * The header of inactive LV "VG/LV" as the last {@link #observeWithSegments(Scope, PlanRunner.KeySource, boolean)}
     * read it; empty when it did not. Its bytes are the LV's only when {@link RawRead#chunks} equals
     * {@link RawHeader#line} of {@link RawHeader#chunks} for the parsed report: the caller checks.
     */
    public Optional<RawRead> rawHeader(String vgLv) {
        return Optional.ofNullable(rawHeaders.get(vgLv));
    }

    /**
     * The PV segment rows {@link #observeWithSegments} read (from {@code lvm fullreport}'s "pvseg" rows, or when that
     * failed from {@code pvs --segments}), empty when it did not (a fixture host that answers neither, or pvs
     * failed): the caller asks with its own query then.
     */
    public Optional<List<PvSegment>> segments() {
        return Optional.ofNullable(segments);
    }

    /** Block devices from {@code lsblk -J -b}; falls back to the pre-2.37 column set. */
    public List<BlockDevice> devices() {
        ExecResult r = executor.run(Probe.lsblk().asQuery());
        if (!r.ok() && r.err().contains("MOUNTPOINTS")) {
            r = executor.run(Probe.lsblkLegacy().asQuery());
        }
        return LsblkParser.parse(require(r, "lsblk"));
    }

    /**
     * Devices plus LVM (pvs, vgs, lvs), and mounts, fstab, crypttab and the key-file directory's file system with them: one command, the first
     * part of {@link #observe}. LVM absent on the target counts as "no LVM objects".
     */
    public HostState devicesAndLvm() {
        return planned(observedDevicesAndLvm(List.of()));
    }

    /** @param paths mountpoints to say what they are on the host ({@link PathInfo}), in the same command */
    private HostState observedDevicesAndLvm(List<String> paths) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", BASE_SCRIPT, "sh", String.join(",", LsblkParser.COLUMNS),
                String.join(",", LsblkParser.COLUMNS).replace("MOUNTPOINTS", "MOUNTPOINT"),
                String.join(",", LvmReportParser.PV_FIELDS), String.join(",", LvmReportParser.VG_FIELDS),
                String.join(",", LvmReportParser.LV_FIELDS),
                String.join(",", LvmReportParser.LV_ONLY_FIELDS), String.join(",", LvmReportParser.SEG_FIELDS)));
        if (withSegments) {
            argv.add(SEGMENTS);
            argv.add(String.join(",", PvSegmentsParser.FIELDS));
            if (withHeaders) {
                argv.add(HEADERS);
            }
        }
        argv.addAll(paths);
        Sections base = Sections.run(executor, HostCommand.query("Observe block devices, LVM, mounts, fstab, crypttab"
                + (withSegments ? ", PV segments" : "") + (paths.isEmpty() ? "" : ", " + String.join(", ", paths)), argv));
        HostState s = HostState.empty().withDevices(LsblkParser.parse(base.require("lsblk")));
        if (base.exit("lvm fullreport") == 0) {
            String report = base.out("lvm fullreport");
            s = s.withLvm(LvmReportParser.pvs(report), LvmReportParser.vgs(report), LvmReportParser.fullReportLvs(report));
        } else if (base.exit("pvs") != 127 && base.exit("lvm fullreport") != 127) {
            s = s.withLvm(LvmReportParser.pvs(base.require("pvs")), LvmReportParser.vgs(base.require("vgs")),
                    LvmReportParser.lvs(base.require("lvs")));
        }
        s = s.withMounts(MountsParser.mountinfo(base.require("mounts")))
                .withFstab(FstabFile.parse(base.require("fstab")))
                .withCrypttab(CrypttabFile.parse(base.require("crypttab")));
        // fstab's mountpoints that are directories (the shell's test, no process): a plan need not make them; a path
        // in the scope gets its own closer look below
        if (base.exit("fstab dirs") == 0) {
            Set<String> targets = new java.util.HashSet<>();
            s.fstab().entries().forEach(e -> targets.add(e.mountpoint()));
            for (String d : base.out("fstab dirs").split("\n")) {
                if (targets.contains(d)) {
                    s = s.withPath(d, new PathInfo(PathInfo.Kind.DIRECTORY, null));
                }
            }
        }
        if (base.exit("keydir") == 0) {
            // a host's words: a file system type is one short name, anything else is no name to repeat
            String fs = base.out("keydir").strip();
            s = s.withKeyDirFs(fs.matches("[A-Za-z0-9_./-]{1,32}") ? fs : "an unrecognised file system");
        }
        segments = !withSegments ? null : base.exit("lvm fullreport") == 0 ? PvSegmentsParser.fromFullReport(base.out("lvm fullreport"))
                : base.exit("pvs segments") == 0 ? PvSegmentsParser.parse(base.out("pvs segments")) : null;
        rawHeaders.clear();
        if (withHeaders) {
            for (String name : base.names()) {
                if (name.startsWith("hdrchunks ") && base.exit(name) == 0) {
                    String k = name.substring("hdrchunks ".length());
                    rawHeaders.put(k, new RawRead(base.out(name).strip(), base.exit("hdr " + k), base.out("hdr " + k)));
                }
            }
        }
        for (String p : paths) {
            if (base.exit("path " + p) == 0) {
                s = s.withPath(p, PathInfo.parse(base.out("path " + p)));
            }
        }
        return s;
    }

    /**
     * Everything the planners read; see the class comment. Batched: one command for devices, LVM, mounts
     * and the two files, one for every blkid (and luksDump of what is LUKS), one per key test (each key
     * alone on stdin). Over SSH each command costs a round trip and a process start; this keeps it to a few.
     */
    public HostState observe(Scope scope, PlanRunner.KeySource keys) {
        return planned(observeHost(scope, keys));
    }

    /**
     * In a dry run (replay --dry-run), the host as the lines before would have left it: the overlay's
     * planned-but-skipped steps laid over what was observed. Otherwise what was observed.
     */
    private HostState planned(HostState observed) {
        return overlay.isEmpty() ? observed : PlannedEffects.apply(observed, overlay);
    }

    private HostState observeHost(Scope scope, PlanRunner.KeySource keys) {
        // only what passes as a mountpoint is asked about (a value like "-x" never reaches test or ls)
        HostState s = observedDevicesAndLvm(scope.mountpoints().stream()
                .filter(mp -> Inputs.mountpoint(mp, true).ok()).distinct().toList());
        Set<String> probe = new LinkedHashSet<>();
        for (String d : scope.devices()) {
            if (s.deviceByPath(d).isPresent()) {
                probe.add(s.deviceByPath(d).get().path());
            }
        }
        for (LogicalVolume lv : s.lvs()) {
            if (lv.active() && s.deviceByPath(lv.dmPath()).isPresent()) {
                probe.add(lv.dmPath());
            }
        }
        s.allDevices().stream().filter(d -> d.type() == io.cryptvol.domain.model.DeviceType.CRYPT)
                .forEach(d -> probe.add(d.path()));
        List<String> luks = new ArrayList<>();
        if (!probe.isEmpty()) {
            List<String> argv = new ArrayList<>(List.of("sh", "-c", PROBE_SCRIPT, "sh"));
            argv.addAll(probe);
            Sections p = Sections.run(executor, HostCommand.query("Probe " + String.join(", ", probe)
                    + " for signatures (blkid -p, luksDump)", argv));
            for (String d : probe) {
                int rc = p.exit("blkid " + d);
                if (rc == 127) {
                    throw new CryptvolException("blkid is not installed on the target", ExitCode.FAILED, null);
                }
                Signature sig = BlkidParser.parse(d, rc, p.out("blkid " + d));
                s = s.withSignature(sig);
                if (sig.isLuks()) {
                    luks.add(d);
                    s = s.withLuks(LuksDumpParser.parse(d, p.require("luksDump " + d)));
                }
            }
        }
        for (String d : luks) {
            for (String k : scope.keyNames()) {
                s = s.withKeyCheck(d, k, keyOpens(d, k, keys));
            }
        }
        for (String mp : scope.mountpoints()) {
            if (s.mountAt(mp).isPresent()) {
                ExecResult f = executor.run(Probe.fuser(mp).asQuery());
                s = s.withProcessUse(mp, FuserParser.parse(f.out(), f.err()));
            }
        }
        return s;
    }

    /**
     * $1..$7: lsblk columns, legacy lsblk columns, pv, vg, lv fields, fullreport's lv and seg
     * fields; then the mountpoints to classify (a "path P" section each: symlink, dir-empty, dir-nonempty, file,
     * missing, or "blocked ANCESTOR"). LVM is read with one {@code lvm fullreport} (each LVM process scans the
     * devices); when that fails
     * for any reason but a missing lvm, with pvs, vgs and lvs as before. The two files are read by the shell
     * itself (a process less each).
     */
    /** The argument that asks the base script for the PV segments report too (never a mountpoint: no leading /). */
    static final String SEGMENTS = "@segments";
    /** After {@link #SEGMENTS}'s two arguments: read the inactive LVs' headers too. */
    static final String HEADERS = "@headers";

    static final String BASE_SCRIPT = String.join("\n",
            "sec() { printf '\\n@@cryptvol-section %s\\n' \"$1\"; }",
            "end() { printf '\\n@@cryptvol-exit %s\\n' \"$1\"; }",
            "put() { if [ -e \"$1\" ]; then while IFS= read -r l || [ -n \"$l\" ]; do printf '%s\\n' \"$l\"; done < \"$1\"; fi; }",
            // a disk plugged a moment ago is still being handled by udev (LVM autoactivation, by-id links): wait for
            // its queue first, bounded, where there is one, so the observation sees the settled state
            "[ -d /run/udev ] && command -v udevadm >/dev/null 2>&1 && udevadm settle --timeout=10 >/dev/null 2>&1",
            "sec lsblk; lsblk -J -b -o \"$1\" 2>/dev/null || lsblk -J -b -o \"$2\"; end $?",
            // the PV segment rows (PvSegmentsParser.FIELDS, constants) come in the same LVM process: the unlock guide's
            // LVs of inactive and exported VGs, missing PVs and stripe starts, without a scan of their own
            "rep=$(lvm fullreport --reportformat json --units b --nosuffix --configreport pv -o \"$3\""
                    + " --configreport vg -o \"$4\" --configreport lv -o \"$6\" --configreport seg -o \"$7\""
                    + " --configreport pvseg -o " + String.join(",", PvSegmentsParser.FIELDS) + "); rc=$?",
            "sec 'lvm fullreport'; printf '%s\\n' \"$rep\"; end $rc",
            "if [ $rc -ne 0 ] && [ $rc -ne 127 ]; then",
            "  sec pvs; pvs --reportformat json --units b --nosuffix -o \"$3\"; end $?",
            "  sec vgs; vgs --reportformat json --units b --nosuffix -o \"$4\"; end $?",
            "  sec lvs; lvs --reportformat json --units b --nosuffix -o \"$5\"; end $?",
            "fi",
            // the mounts as findmnt lists them (MountsParser.mountinfo), read by the shell: findmnt is a slow start
            "sec mounts; [ -r /proc/self/mountinfo ] && put /proc/self/mountinfo; end $?",
            "sec fstab; put /etc/fstab; end $?",
            // which of fstab's mountpoints are directories (not symbolic links), by the shell's test; an escaped one
            // (\\040) is left out
            "sec 'fstab dirs'; [ -e /etc/fstab ] && while read -r s m r || [ -n \"$s\" ]; do case $m in",
            "  /*\\\\*) ;; /*) [ -d \"$m\" ] && [ ! -L \"$m\" ] && printf '%s\\n' \"$m\";; esac; done < /etc/fstab; end 0",
            "sec crypttab; put /etc/crypttab; end $?",
            // where a key file would go (the plan's key step checks again just before it writes one)
            "sec keydir; " + KeyFiles.fsTypeScript() + "; end $?",
            "shift 7",
            // the unlock guide's PV segments: the fullreport's rows; only when it failed, pvs --segments
            // (Lvm.pvSegmentsReport) in the same round trip
            "if [ \"$1\" = " + "@segments" + " ]; then",
            "  if [ $rc -eq 0 ]; then seg=$rep; rs=0; full=1",
            "  else seg=$(pvs --segments --reportformat json --units b --nosuffix -o \"$2\"); rs=$?; full=0",
            "    sec 'pvs segments'; printf '%s\\n' \"$seg\"; end $rs",
            "  fi; shift 2",
            // and, asked for, the headers of the inactive LVs read from their PVs (RawHeader.FROM_SEGMENTS)
            "  if [ \"$1\" = " + "@headers" + " ]; then shift; [ $rs -eq 0 ] && (",
            RawHeader.FROM_SEGMENTS,
            "  ); fi",
            "fi",
            "for p in \"$@\"; do",
            "  sec \"path $p\"",
            "  if [ -L \"$p\" ]; then echo symlink",
            "  elif [ -d \"$p\" ]; then if [ -n \"$(ls -A \"$p\" 2>/dev/null | head -n 1)\" ]; then echo dir-nonempty; else echo dir-empty; fi",
            "  elif [ -e \"$p\" ]; then echo file",
            "  else q=$p; while [ \"$q\" != / ] && [ ! -e \"$q\" ] && [ ! -L \"$q\" ]; do q=${q%/*}; q=${q:-/}; done",
            "    if [ -d \"$q\" ]; then echo missing; else echo \"blocked $q\"; fi",
            "  fi",
            "  end 0",
            "done");

    /** For each device argument: blkid -p, and luksDump when it is LUKS. */
    static final String PROBE_SCRIPT = String.join("\n",
            "for d in \"$@\"; do",
            "  printf '\\n@@cryptvol-section blkid %s\\n' \"$d\"; out=$(blkid -p -o export \"$d\"); rc=$?",
            "  printf '%s' \"$out\"; printf '\\n@@cryptvol-exit %s\\n' $rc",
            "  case \"$out\" in *TYPE=crypto_LUKS*)",
            "    printf '\\n@@cryptvol-section luksDump %s\\n' \"$d\"; cryptsetup luksDump \"$d\"; printf '\\n@@cryptvol-exit %s\\n' $?;;",
            "  esac",
            "done");

    /** blkid -p: exit 2 = nothing on the device. */
    public Signature blkid(String device) {
        ExecResult r = executor.run(Probe.blkid(device).asQuery());
        if (r.exitCode() == 127) {
            throw new CryptvolException("blkid is not installed on the target", ExitCode.FAILED, null);
        }
        return BlkidParser.parse(device, r.exitCode(), r.out());
    }

    /** Whether the named key opens the LUKS header on {@code device}; the key goes on stdin only. */
    public boolean keyOpens(String device, String keyName, PlanRunner.KeySource keys) {
        byte[] key = keys.bytes(KeyRef.named(keyName));
        try {
            ExecResult r = executor.run(Cryptsetup.testKey(device).asQuery().withSecretStdin(key));
            if (r.exitCode() == 127) {
                throw new CryptvolException("cryptsetup is not installed on the target", ExitCode.FAILED, null);
            }
            return r.ok();
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    public ExecResult query(HostCommand c) {
        return executor.run(c.asQuery());
    }

    /** A read-only batched script's output, split at its section markers ({@link Sections}). */
    public Sections sections(HostCommand c) {
        return Sections.run(executor, c.asQuery());
    }

    /** The mapping named {@code name}, if open. */
    public static Optional<BlockDevice> mapping(HostState s, String name) {
        return s.mapping(name);
    }

    /** The output of a batched observation script, split at its section markers. */
    public static final class Sections {
        private final java.util.Map<String, String> out = new java.util.HashMap<>();
        private final java.util.Map<String, Integer> exits = new java.util.HashMap<>();
        private final String stderr;

        private Sections(String stdout, String stderr) {
            this.stderr = stderr;
            String name = null;
            StringBuilder sb = new StringBuilder();
            for (String line : stdout.split("\n", -1)) {
                if (line.startsWith("@@cryptvol-section ")) {
                    name = line.substring("@@cryptvol-section ".length());
                    sb.setLength(0);
                } else if (line.startsWith("@@cryptvol-exit ") && name != null) {
                    String text = sb.toString();
                    out.put(name, text.endsWith("\n") ? text.substring(0, text.length() - 1) : text);
                    exits.put(name, Integer.parseInt(line.substring("@@cryptvol-exit ".length()).strip()));
                    name = null;
                } else if (name != null) {
                    sb.append(line).append('\n');
                }
            }
        }

        public static Sections run(HostExecutor ex, HostCommand c) {
            ExecResult r = ex.run(c);
            if (r.exitCode() == 127 && r.stdout().length == 0) {
                throw new CryptvolException("no shell on the target (exit 127)", ExitCode.FAILED, null);
            }
            return new Sections(r.out(), r.err());
        }

        static Sections parse(String stdout, String stderr) {
            return new Sections(stdout, stderr);
        }

        /** The sections read, in no particular order. */
        public Set<String> names() {
            return exits.keySet();
        }

        public int exit(String name) {
            return exits.getOrDefault(name, -1);
        }

        public String out(String name) {
            return out.getOrDefault(name, "");
        }

        String require(String name) {
            int rc = exit(name);
            String what = name.split(" ")[0];
            if (rc == 127) {
                throw new CryptvolException(what + " is not installed on the target", ExitCode.FAILED, null);
            }
            if (rc != 0) {
                String err = stderr == null ? "" : stderr.strip();
                throw new CryptvolException(name + " failed (exit " + rc + ")"
                        + (err.isEmpty() ? "" : ": " + err.lines().findFirst().orElse("")), ExitCode.FAILED, null);
            }
            return out(name);
        }
    }

    static String require(ExecResult r, String what) {
        if (r.exitCode() == 127) {
            throw new CryptvolException(what + " is not installed on the target", ExitCode.FAILED, null);
        }
        if (!r.ok()) {
            String err = r.err().strip();
            throw new CryptvolException(what + " failed (exit " + r.exitCode() + ")"
                    + (err.isEmpty() ? "" : ": " + err.lines().findFirst().orElse("")), ExitCode.FAILED, null);
        }
        return r.out();
    }
}
