package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.sandbox.ec2.Ec2StateFile;
import io.cryptvol.session.Dirs;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Target;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sandbox start|status|reboot|stop|reset}: a local test instance (a real Linux kernel in qemu) and a
 * local EC2 endpoint wired to it, to try everything or rehearse a script without AWS. Its EC2 world
 * (instance, volumes, snapshots, tags) is kept on disk across stop and start; only reset forgets it.
 */
@Command(command = "sandbox", group = "Sandbox")
@org.springframework.boot.autoconfigure.condition.ConditionalOnClass(name = SandboxPresence.MARKER_CLASS) // else SandboxAbsentCommands
public class SandboxCommands {

    private final Sandbox sandbox;
    private final HostAccess hosts;
    private final SandboxSession session;
    private final Ui ui;
    private final io.cryptvol.session.Prompt prompt;

    public SandboxCommands(Sandbox sandbox, HostAccess hosts, SandboxSession session, Ui ui,
                           io.cryptvol.session.Prompt prompt) {
        this.sandbox = sandbox;
        this.hosts = hosts;
        this.session = session;
        this.ui = ui;
        this.prompt = prompt;
    }

    /** The sandbox; its instance's image recipe ships in the sandbox jar (no repository checkout needed). */
    public static Sandbox create() {
        return new Sandbox(dataDir());
    }

    /** Where the sandbox keeps its images, its EC2 world and its instance's keys. */
    public static Path dataDir() {
        return Dirs.sandbox();
    }

    public static void banner(Ui ui) {
        ui.println(ui.yellow("SANDBOX") + " — a local test instance (Linux in qemu) and a local EC2 endpoint. "
                + "Nothing here touches AWS or a real host.");
    }

    @Command(command = "start", description = "Boot the sandbox (builds its image the first time) and work on it; "
            + "its instance, volumes and snapshots are those of last time.")
    public void start() {
        ui.println(ui.dim("starting the sandbox (first time: builds the test instance image, about a minute) ..."));
        Sandbox.Status s = sandbox.start();
        session.enter(s, null);
        banner(ui);
        Ec2StateFile.World w = sandbox.world();
        ui.ok("sandbox instance " + s.instanceId() + " (" + s.availabilityZone() + ") booted in "
                + io.cryptvol.domain.Durations.took(s.bootTime()) + "; EC2 endpoint " + s.ec2Endpoint() + "; "
                + count(w.volumes().size(), "volume") + ", " + count(w.snapshotSets().size(), "snapshot set"));
    }

    @Command(command = "status", description = "Show whether the sandbox runs, its instance, endpoints, and its volumes and snapshot sets.")
    public void status(@Option(longNames = "output", shortNames = 'o', defaultValue = "table", description = "table or json")
                       String output) {
        Sandbox.Status s = sandbox.status();
        Ec2StateFile.World w = sandbox.world();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", s.running());
        m.put("instance", s.running() ? s.instanceId() : w.instances().isEmpty() ? null : w.instances().get(0));
        m.put("instanceState", s.running() ? sandbox.instanceState() : w.instances().isEmpty() ? null : "stopped");
        m.put("availabilityZone", s.availabilityZone());
        m.put("ssh", s.running() ? "root@" + s.sshHost() + ":" + s.sshPort() : null);
        m.put("ec2Endpoint", s.ec2Endpoint() == null ? null : s.ec2Endpoint().toString());
        m.put("disks", s.attachedSerials());
        m.put("dataDir", s.dataDir().toString());
        if (OutputFormat.parse(output) == OutputFormat.JSON) {
            m.put("volumes", w.volumes());
            m.put("snapshotSets", w.snapshotSets());
            ui.json(m);
            return;
        }
        ui.keyValues(m);
        ui.println("");
        List<List<String>> vols = new ArrayList<>();
        for (Ec2StateFile.VolumeInfo v : w.volumes()) {
            vols.add(List.of(v.id(), v.sizeGiB() + " GiB", v.state(), v.device() == null ? "" : v.device(),
                    printable(v.set()), printable(v.name())));
        }
        if (vols.isEmpty()) {
            ui.println("no volumes");
        } else {
            ui.table(List.of("VOLUME", "SIZE", "STATE", "ATTACHED AS", "SET", "NAME"), vols);
        }
        ui.println("");
        List<List<String>> sets = new ArrayList<>();
        for (Ec2StateFile.SnapshotSet set : w.snapshotSets()) {
            sets.add(List.of(printable(set.set()), String.valueOf(set.count()), set.state(),
                    set.started() == null ? "" : set.started().toString(), printable(set.vg())));
        }
        if (sets.isEmpty()) {
            ui.println("no snapshot sets");
        } else {
            ui.table(List.of("SNAPSHOT SET", "SNAPSHOTS", "STATE", "STARTED", "VG"), sets);
        }
    }

    @Command(command = "reboot", description = "Reboot the sandbox instance as EC2's RebootInstances does: same instance, "
            + "volumes stay attached; the encrypted volume is closed afterwards (then 'unlock').")
    public void reboot() {
        if (!sandbox.running()) {
            throw new CryptvolException("the sandbox is not running: 'sandbox start' first", ExitCode.FAILED, null);
        }
        ui.println(ui.dim("rebooting the sandbox instance (about half a minute) ..."));
        hosts.disconnect();
        long t0 = System.nanoTime();
        Sandbox.Status s = sandbox.reboot();
        session.enter(s, session.names());
        ui.ok("sandbox instance " + s.instanceId() + " rebooted in "
                + io.cryptvol.domain.Durations.took(java.time.Duration.ofNanos(System.nanoTime() - t0)) + "; "
                + count(s.attachedSerials().size(), "disk") + " attached");
    }

    @Command(command = "stop", description = "Stop the sandbox instance and endpoint; its volumes, snapshots and instance "
            + "stay for the next 'sandbox start' (until 'sandbox reset').")
    public void stop() {
        sandbox.stop();
        session.leave();
        Ec2StateFile.World w = sandbox.world();
        ui.ok("sandbox stopped; " + count(w.volumes().size(), "volume") + " and "
                + count(w.snapshotSets().size(), "snapshot set") + " kept for the next 'sandbox start'");
    }

    @Command(command = "reset", description = "Stop the sandbox, forget its instance, volumes and snapshots, start it afresh.")
    public void reset(@Option(longNames = "yes", shortNames = 'y', description = "do not ask") boolean yes) {
        if (!yes && !prompt.interactive()) {
            throw new CryptvolException("'sandbox reset' deletes every sandbox volume and snapshot: add --yes", ExitCode.USAGE, null);
        }
        if (!prompt.confirm("Delete every sandbox volume and snapshot and start the sandbox afresh?", yes)) {
            ui.println("Cancelled; nothing was changed.");
            return;
        }
        hosts.disconnect();
        Sandbox.Status s = sandbox.reset();
        session.enter(s, null);
        banner(ui);
        ui.ok("sandbox reset; instance " + s.instanceId() + " booted in " + io.cryptvol.domain.Durations.took(s.bootTime()));
    }

    static Target target(Sandbox.Status s) {
        return Target.ssh("root@" + s.sshHost() + ":" + s.sshPort(), s.identityFile().toString(),
                s.knownHostsFile().toString());
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    /** Tag values are the user's (or a script's): control characters are shown escaped, never sent to the terminal. */
    static String printable(String s) {
        return io.cryptvol.domain.ControlChars.oneLine(s);
    }
}
