package io.cryptvol.host;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.Probe;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.parse.LsblkParser;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostCommand;
import io.cryptvol.exec.HostExecutor;

import java.util.List;

/**
 * Looks at the target through read-only commands and parses their machine output into a
 * {@link HostState}. Never changes anything; safe under dry-run (its commands are queries).
 */
public final class HostObserver {
    private final HostExecutor executor;

    public HostObserver(HostExecutor executor) {
        this.executor = executor;
    }

    /** Block devices from {@code lsblk -J -b}; falls back to the pre-2.37 column set. */
    public List<BlockDevice> devices() {
        ExecResult r = executor.run(Probe.lsblk().asQuery());
        if (!r.ok() && r.err().contains("MOUNTPOINTS")) {
            r = executor.run(Probe.lsblkLegacy().asQuery());
        }
        return LsblkParser.parse(require(r, "lsblk"));
    }

    /** Devices plus LVM (pvs, vgs, lvs). LVM absent on the target counts as "no LVM objects". */
    public HostState devicesAndLvm() {
        HostState s = HostState.empty().withDevices(devices());
        ExecResult pvs = executor.run(Lvm.pvsReport().asQuery());
        if (pvs.exitCode() == 127) {
            return s;
        }
        ExecResult vgs = executor.run(Lvm.vgsReport().asQuery());
        ExecResult lvs = executor.run(Lvm.lvsReport().asQuery());
        return s.withLvm(io.cryptvol.domain.parse.LvmReportParser.pvs(require(pvs, "pvs")),
                io.cryptvol.domain.parse.LvmReportParser.vgs(require(vgs, "vgs")),
                io.cryptvol.domain.parse.LvmReportParser.lvs(require(lvs, "lvs")));
    }

    public ExecResult query(HostCommand c) {
        return executor.run(c.asQuery());
    }

    static String require(ExecResult r, String what) {
        if (r.exitCode() == 127) {
            throw new CryptvolException(what + " is not installed on the target", 1, null);
        }
        if (!r.ok()) {
            String err = r.err().strip();
            throw new CryptvolException(what + " failed (exit " + r.exitCode() + ")"
                    + (err.isEmpty() ? "" : ": " + err.lines().findFirst().orElse("")), 1, null);
        }
        return r.out();
    }
}
