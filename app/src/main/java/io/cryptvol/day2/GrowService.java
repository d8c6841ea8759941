package io.cryptvol.day2;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.plan.GrowPlanner;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Grow onto new devices ({@link GrowPlanner}); with {@code --add N}, first the stripe check (before anything is
 * created) and the new EBS volumes through {@link VolumeService}.
 */
public final class GrowService {
    private final SessionContext ctx;
    private final PlanRunner.KeySource keys;
    private final Consumer<HostState> remember;
    private final Supplier<VolumeService> volumes;
    private final HostAccess hosts;

    public GrowService(SessionContext ctx, PlanRunner.KeySource keys, Consumer<HostState> remember,
                       Supplier<VolumeService> volumes, HostAccess hosts) {
        this.ctx = ctx;
        this.keys = keys;
        this.remember = remember;
        this.volumes = volumes;
        this.hosts = hosts;
    }

    /** The volume to grow and its stripe count. */
    public record Target(VolumeLocator.Located volume, int stripes) {
    }

    /** Looks at the host and refuses {@code add} new volumes that do not fit the stripes; changes nothing. */
    public Target checkAdd(HostExecutor ex, String mountpoint, int add, boolean linear) {
        VolumeObservation o = VolumeObservation.observe(ex, keys, ctx, mountpoint, List.of());
        VolumeLocator.Located v = o.volume();
        int stripes = o.state().lv(v.vg(), v.lv()).map(LogicalVolume::stripes).orElse(1);
        Optional<Refusal> r = GrowPlanner.addCount(v.lvPath(), stripes, add, linear, "volumes");
        if (r.isPresent()) {
            throw new CryptvolException("refused: " + r.get().line() + "; nothing was changed", ExitCode.FAILED, null);
        }
        return new Target(v, stripes);
    }

    /** Creates and attaches {@code n} new EBS volumes for the VG; returns their host devices. */
    public List<String> createDevices(Target t, int n, int sizeGiB, VolumeService.Progress progress) {
        VolumeService vs = volumes.get();
        if (vs == null) {
            throw new CryptvolException("EBS access is not configured; attach the volumes and pass their devices", ExitCode.FAILED, null);
        }
        return vs.createAndAttachDevices(n, VolumeSpec.of(sizeGiB, "gp3"), t.volume().vg(), progress);
    }

    /** One grow onto {@code devices}: the planner for the plan engine, and the volume once planned. */
    public final class Grow {
        private final String mountpoint;
        private final List<String> devices;
        private final KeyChoice key;
        private final boolean linear;
        private VolumeLocator.Located volume;

        private Grow(String mountpoint, List<String> devices, KeyChoice key, boolean linear) {
            this.mountpoint = mountpoint;
            this.devices = List.copyOf(devices);
            this.key = key;
            this.linear = linear;
        }

        public Function<HostExecutor, PlanResult> planner() {
            return ex -> {
                VolumeObservation o = VolumeObservation.observe(ex, keys, ctx, mountpoint, devices);
                VolumeLocator.Located v = o.volume();
                volume = v;
                Boolean keyring = keyInKeyring(ex, o.state(), v);
                if (key == null && GrowPlanner.resizeNeedsKey(o.state().luksOn(v.lvPath()), keyring)) {
                    throw new KeyNeeded("cryptsetup resize of " + v.mapperPath() + " (LUKS2, its volume key in the kernel "
                            + "keyring) asks for a key: pass --key NAME, --key-file PATH, --key-backup DIR or --passphrase");
                }
                PlanResult r = new GrowPlanner().plan(new GrowPlanner.GrowSpec(v.vg(), v.lv(), devices, v.mapping(),
                        v.mountpoint(), fsType(v.fsType()), key == null ? null : key.label(), linear, keyring), o.state());
                if (!r.isRefused()) {
                    remember.accept(o.state());
                }
                return r;
            };
        }

        /** The mounted filesystem's size now, when the host says. */
        public Optional<Long> mountedSize() {
            ExecResult r = hosts.executor().run(HostCommand.query("Size of " + volume.mountpoint(),
                    "findmnt", "-n", "-b", "-o", "SIZE", "--mountpoint", volume.mountpoint()));
            try {
                return r.ok() ? Optional.of(Long.parseLong(r.out().strip())) : Optional.empty();
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        public VolumeLocator.Located volume() {
            return volume;
        }
    }

    static io.cryptvol.domain.cmd.FsType fsType(String s) {
        try {
            return s == null ? io.cryptvol.domain.cmd.FsType.XFS : io.cryptvol.domain.cmd.FsType.byName(s);
        } catch (CryptvolException e) {
            throw new CryptvolException(e.getMessage(), ExitCode.USAGE, null);
        }
    }

    /** The resize needs a key and none was given; nothing was changed. */
    public static final class KeyNeeded extends CryptvolException {
        public KeyNeeded(String message) {
            super(message, ExitCode.USAGE, null);
        }
    }

    /**
     * Whether the open mapping's volume key is in the kernel keyring: {@code dmsetup table} shows such a key as
     * ":SIZE:logon:DESCRIPTION" (a key held in the table itself is never printed). Null when not known; LUKS1 is
     * never asked about.
     */
    static Boolean keyInKeyring(HostExecutor ex, HostState h, VolumeLocator.Located v) {
        if (h.luksOn(v.lvPath()).map(x -> x.version() == 1).orElse(false) || h.mapping(v.mapping()).isEmpty()) {
            return null;
        }
        ExecResult r = ex.run(HostCommand.query("Is the volume key of " + v.mapperPath() + " in the kernel keyring?",
                "dmsetup", "table", v.mapperPath()));
        return r.ok() ? io.cryptvol.domain.parse.DmTableParser.keyInKeyring(r.out()) : null;
    }

    public Grow prepare(String mountpoint, List<String> devices, KeyChoice key, boolean linear) {
        return new Grow(mountpoint, devices, key, linear);
    }
}
