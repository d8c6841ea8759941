package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.CipherPreset;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.cmd.LuksType;
import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * What the stage commands share: observing the host for a planner (and refreshing the completion
 * inventory), resolving defaults from the session context, checking keys exist before anything runs,
 * and building LUKS options from a preset plus overrides.
 */
public class StageSupport {
    private final PlanRunner.KeySource keys;
    private final Inventory inventory;
    private final SessionContext ctx;
    private final SessionMode mode;

    public StageSupport(PlanRunner.KeySource keys, Inventory inventory, SessionContext ctx) {
        this(keys, inventory, ctx, new SessionMode());
    }

    public StageSupport(PlanRunner.KeySource keys, Inventory inventory, SessionContext ctx, SessionMode mode) {
        this.keys = keys;
        this.inventory = inventory;
        this.ctx = ctx;
        this.mode = mode;
    }

    public PlanRunner.KeySource keys() {
        return keys;
    }

    public SessionContext context() {
        return ctx;
    }

    /**
     * A planner function for {@link PlanPresenter}: checks every key name resolves, observes the host
     * (scope + key tests), plans, refreshes the inventory unless the plan was refused, and refuses a key file write when the
     * target's key directory is not on tmpfs.
     */
    public Function<HostExecutor, PlanResult> planning(HostObserver.Scope scope,
                                                       Function<HostState, PlanResult> planner) {
        return ex -> {
            requireKeys(scope.keyNames());
            HostObserver o = new HostObserver(ex);
            HostState h = o.observe(scope, keys);
            PlanResult r = planner.apply(h);
            if (!r.isRefused()) {
                remember(h); // a refused command changes nothing, the completion inventory included
                if (!r.plan().isEmpty()) {
                    // what Tab offers once the plan ran (PlanPresenter says when it did)
                    inventory.expect(names(io.cryptvol.host.PlannedEffects.apply(h, r.plan().steps())));
                }
            }
            if (!r.isRefused() && r.plan().steps().stream().anyMatch(s -> s.kind() == StepKind.LUKS_ADD_KEY)) {
                o.requireTmpfsKeyDir();
            }
            return r;
        };
    }

    /** Fails with "unknown key" before anything changes; the bytes read are zeroed at once. */
    public void requireKeys(List<String> names) {
        for (String n : names) {
            if (mode.keyPlanned(n)) {
                continue; // a line before, in this dry run, would have generated it
            }
            byte[] b = keys.bytes(KeyRef.named(n));
            if (b == null || b.length == 0) {
                throw new CryptvolException("key '" + n + "' is empty", ExitCode.USAGE, null);
            }
            Arrays.fill(b, (byte) 0);
        }
    }

    /** Refreshes what Tab completion offers on the current target: devices (free first), VGs, LVs, mappings, mountpoints. */
    public void remember(HostState h) {
        names(h).forEach(inventory::put);
    }

    /** The names Tab completion offers for a host state, by inventory kind. */
    static java.util.Map<String, List<String>> names(HostState h) {
        List<BlockDevice> all = h.allDevices().stream().filter(d -> !noise(d)).toList();
        java.util.Map<String, List<String>> m = new java.util.LinkedHashMap<>();
        m.put("device", all.stream().filter(d -> d.type() == DeviceType.DISK || d.type() == DeviceType.PART)
                .sorted(Comparator.comparing((BlockDevice d) -> !free(h, d)).thenComparing(BlockDevice::path))
                .map(BlockDevice::path).distinct().toList());
        m.put("vg", h.vgs().stream().map(VolumeGroup::name).sorted().toList());
        m.put("lv", h.lvs().stream().map(LogicalVolume::name).distinct().sorted().toList());
        m.put("lvpath", h.lvs().stream().map(LogicalVolume::path).sorted().toList());
        m.put("mapping", all.stream().filter(d -> d.type() == DeviceType.CRYPT).map(BlockDevice::name)
                .distinct().sorted().toList());
        m.put("mountpoint", java.util.stream.Stream.concat(
                h.mounts().stream().map(Mount::target).filter(t -> t.startsWith("/mnt/") || t.startsWith("/data")),
                h.fstab().entries().stream().map(e -> e.mountpoint()).filter(t -> t.startsWith("/") && !t.equals("/")))
                .distinct().sorted().toList());
        return m;
    }

    static boolean free(HostState h, BlockDevice d) {
        return d.children().isEmpty() && !d.isMounted() && h.signatureOn(d.path()).isEmpty()
                && h.pvOn(d.path()).isEmpty();
    }

    private static boolean noise(BlockDevice d) {
        return d.name() != null && (d.name().startsWith("loop") || d.name().startsWith("zram")
                || d.name().startsWith("ram") || d.name().startsWith("sr"));
    }

    /** The option, else the context's value, else a usage error naming both. */
    public String orContext(String value, SessionContext.Part part, String option) {
        if (value != null && !value.isBlank()) {
            return value;
        }
        String v = ctx.get(part);
        if (v == null) {
            throw new CryptvolException("no " + part.name().toLowerCase(Locale.ROOT) + " given: pass " + option
                    + " or select one with 'use " + part.name().toLowerCase(Locale.ROOT) + " NAME'", ExitCode.USAGE, null);
        }
        return v;
    }

    /** Devices from a comma/space separated list; empty list when none. */
    public static List<String> deviceList(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        return Arrays.stream(s.split("[,\\s]+")).filter(x -> !x.isBlank()).map(StageSupport::devPath).toList();
    }

    /** "nvme1n1" → "/dev/nvme1n1". */
    public static String devPath(String d) {
        return d.startsWith("/") ? d : "/dev/" + d;
    }

    /** "4K", "64k", "1M", "4096" → bytes. */
    public static long size(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long mult = 1;
        if (t.endsWith("K")) {
            mult = Sizes.KiB;
        } else if (t.endsWith("M")) {
            mult = Sizes.MiB;
        } else if (t.endsWith("G")) {
            mult = Sizes.GiB;
        }
        if (mult != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Long.parseLong(t) * mult;
        } catch (NumberFormatException e) {
            throw new CryptvolException("not a size: '" + s + "' (e.g. 4K, 64K, 1M)", ExitCode.USAGE, null);
        }
    }

    /** LUKS settings: a preset (default luks2), then each override given. */
    public static LuksOptions luksOptions(String preset, String type, String cipher, String hash, Integer keySize,
                                          String pbkdf, Integer iterTime, Integer forceIterations, Integer memory) {
        LuksOptions base = preset == null || preset.isBlank() ? CipherPreset.LUKS2_DEFAULT.options()
                : presetByName(preset).options();
        LuksType t = type == null ? base.type() : switch (type.toLowerCase(Locale.ROOT)) {
            case "luks1" -> LuksType.LUKS1;
            case "luks2" -> LuksType.LUKS2;
            default -> throw new CryptvolException("--type must be luks1 or luks2, not '" + type + "'", ExitCode.USAGE, null);
        };
        String kdfName = pbkdf != null ? pbkdf : t == LuksType.LUKS1 ? "pbkdf2" : base.kdf().pbkdf();
        boolean argon = kdfName.startsWith("argon2");
        Kdf kdf;
        try {
            kdf = new Kdf(kdfName, iterTime, forceIterations, argon ? memory : null, null);
            if (!argon && memory != null) {
                throw new CryptvolException("--pbkdf-memory applies to argon2 only, not " + kdfName, ExitCode.USAGE, null);
            }
            LuksOptions o = new LuksOptions(t, cipher != null ? cipher : base.cipher(),
                    keySize != null ? keySize : base.keySizeBits(), hash != null ? hash : base.hash(), kdf);
            // the planners check the same again; refusing here stops a bad value before the host is even looked at
            List<io.cryptvol.domain.plan.Refusal> bad = io.cryptvol.domain.plan.Inputs.luks(o);
            if (!bad.isEmpty()) {
                throw new CryptvolException(bad.get(0).line(), ExitCode.USAGE, null);
            }
            return o;
        } catch (CryptvolException e) {
            throw new CryptvolException(e.getMessage(), ExitCode.USAGE, null);
        }
    }

    /** Accepts the preset names and the short ones the brief uses: luks2, legacy-luks1. */
    public static CipherPreset presetByName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "luks2", "default" -> CipherPreset.LUKS2_DEFAULT;
            case "legacy-luks1", "luks1", "legacy", "seed" -> CipherPreset.LEGACY_LUKS1_SEED;
            default -> {
                try {
                    yield CipherPreset.byName(name);
                } catch (CryptvolException e) {
                    throw new CryptvolException(e.getMessage(), ExitCode.USAGE, null);
                }
            }
        };
    }

    public static FsType fsType(String s) {
        try {
            return s == null ? FsType.XFS : FsType.byName(s);
        } catch (CryptvolException e) {
            throw new CryptvolException(e.getMessage(), ExitCode.USAGE, null);
        }
    }

    public static List<String> pvPaths(HostState h, String vg) {
        return h.pvsIn(vg).stream().map(PhysicalVolume::path).toList();
    }
}
