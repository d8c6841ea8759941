package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.Dirs;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code sandbox start|status|stop|reset}: a local test instance (a real Linux kernel in qemu) and a
 * local EC2 endpoint wired to it, to try everything or rehearse a script without AWS.
 */
@Command(command = "sandbox", group = "Sandbox")
public class SandboxCommands {

    /** Published when the sandbox starts or stops, so the AWS wiring can point at its endpoint. */
    public record SandboxChanged(Sandbox.Status status) {
    }

    private final Sandbox sandbox;
    private final HostAccess hosts;
    private final SessionContext ctx;
    private final Ui ui;
    private final ApplicationEventPublisher events;

    public SandboxCommands(Sandbox sandbox, HostAccess hosts, SessionContext ctx, Ui ui,
                           ApplicationEventPublisher events) {
        this.sandbox = sandbox;
        this.hosts = hosts;
        this.ctx = ctx;
        this.ui = ui;
        this.events = events;
    }

    /** Where the repository is (the launcher passes it); the image recipe lives there. */
    public static Path root() {
        return Path.of(System.getProperty("cryptvol.root", ".")).toAbsolutePath().normalize();
    }

    public static Sandbox create() {
        return new Sandbox(root().resolve("scripts/testvm/build.sh"), Dirs.sandbox());
    }

    public static void banner(Ui ui) {
        ui.println(ui.yellow("SANDBOX") + " — a local test instance (Linux in qemu) and a local EC2 endpoint. "
                + "Nothing here touches AWS or a real host.");
    }

    @Command(command = "start", description = "Boot the sandbox (builds its image the first time) and work on it.")
    public void start() {
        ui.println(ui.dim("starting the sandbox (first time: builds the test instance image, about a minute) ..."));
        Sandbox.Status s = sandbox.start();
        attach(s);
        banner(ui);
        ui.ok("sandbox instance " + s.instanceId() + " (" + s.availabilityZone() + ") booted in "
                + PlanPresenter.seconds(s.bootTime()) + "; EC2 endpoint " + s.ec2Endpoint());
    }

    @Command(command = "status", description = "Show whether the sandbox runs, its instance, endpoints and disks.")
    public void status(@Option(longNames = "output", shortNames = 'o', defaultValue = "table", description = "table or json")
                       String output) {
        Sandbox.Status s = sandbox.status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", s.running());
        m.put("instance", s.instanceId());
        m.put("availabilityZone", s.availabilityZone());
        m.put("ssh", s.running() ? "root@" + s.sshHost() + ":" + s.sshPort() : null);
        m.put("ec2Endpoint", s.ec2Endpoint() == null ? null : s.ec2Endpoint().toString());
        m.put("disks", s.attachedSerials());
        m.put("dataDir", s.dataDir().toString());
        if (OutputFormat.parse(output) == OutputFormat.JSON) {
            ui.json(m);
            return;
        }
        ui.keyValues(m);
    }

    @Command(command = "stop", description = "Stop the sandbox instance and endpoint (volume images stay until reset).")
    public void stop() {
        boolean wasTarget = sandbox.running() && isSandboxTarget(sandbox.status());
        sandbox.stop();
        if (wasTarget) {
            hosts.disconnect();
            ctx.setTarget(Target.LOCAL);
        }
        events.publishEvent(new SandboxChanged(sandbox.status()));
        ui.ok("sandbox stopped");
    }

    @Command(command = "reset", description = "Stop the sandbox, delete all its volumes and snapshots, start it afresh.")
    public void reset(@Option(longNames = "yes", shortNames = 'y', description = "do not ask") boolean yes) {
        if (!yes) {
            throw new CryptvolException("'sandbox reset' deletes every sandbox volume and snapshot: add --yes", 2, null);
        }
        hosts.disconnect();
        Sandbox.Status s = sandbox.reset();
        attach(s);
        banner(ui);
        ui.ok("sandbox reset; instance " + s.instanceId() + " booted in " + PlanPresenter.seconds(s.bootTime()));
    }

    static Target target(Sandbox.Status s) {
        return Target.ssh("root@" + s.sshHost() + ":" + s.sshPort(), s.identityFile().toString(),
                s.knownHostsFile().toString());
    }

    private void attach(Sandbox.Status s) {
        Target t = target(s);
        hosts.connect(t, false);
        ctx.set(SessionContext.Part.INSTANCE, s.instanceId());
        events.publishEvent(new SandboxChanged(s));
    }

    private boolean isSandboxTarget(Sandbox.Status s) {
        Target t = ctx.target();
        return !t.isLocal() && t.port() == s.sshPort() && s.sshHost().equals(t.host());
    }
}
