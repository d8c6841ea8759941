package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.record.NotRecorded;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import io.cryptvol.volumes.VolumeService;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Where the session works and what it works on: connect, disconnect, use, context. */
@Command(group = "Session")
public class ContextCommands {
    private final SessionContext ctx;
    private final HostAccess hosts;
    private final Ui ui;
    private final ObjectProvider<VolumeService> volumes;

    private final ObjectProvider<LockedNotice> lockedNotice;

    public ContextCommands(SessionContext ctx, HostAccess hosts, Ui ui, ObjectProvider<VolumeService> volumes,
                           ObjectProvider<LockedNotice> lockedNotice) {
        this.lockedNotice = lockedNotice;
        this.ctx = ctx;
        this.hosts = hosts;
        this.ui = ui;
        this.volumes = volumes;
    }

    @Command(command = "connect", description = "Work on this machine ('local'), on a host over SSH (user@host[:port]) or on an EC2 instance through SSM Run Command (ssm:i-…).")
    public void connect(
            @Option(description = "'local', user@host[:port] for SSH, or ssm:i-… for Systems Manager", required = true) String target,
            @Option(longNames = "identity", shortNames = 'i', description = "SSH private key file") String identity,
            @Option(longNames = "known-hosts", description = "known_hosts file to check the host key against (default ~/.ssh/known_hosts)")
            String knownHosts,
            @Option(longNames = "accept-new-host-key", description = "trust the host key of a host not yet in known_hosts and remember it")
            boolean acceptNewHostKey,
            @Option(longNames = "output-s3", description = "ssm: only: s3://BUCKET/PREFIX where Run Command puts whole outputs "
                    + "(a private bucket the instance profile can write to; default $CRYPTVOL_SSM_OUTPUT_S3)") String outputS3) {
        if (outputS3 != null && !target.startsWith("ssm:")) {
            throw new io.cryptvol.CryptvolException("--output-s3 is for ssm: targets only (Run Command's S3 output)",
                    io.cryptvol.ExitCode.USAGE, null);
        }
        Target t = "local".equalsIgnoreCase(target) ? Target.LOCAL
                : target.startsWith("ssm:") ? Target.ssm(target, outputS3)
                : Target.ssh(target, absolute(identity), absolute(knownHosts));
        HostExecutor ex = hosts.connect(t, acceptNewHostKey);
        ui.ok("connected to " + ex.target());
        LockedNotice n = lockedNotice.getIfAvailable();
        if (n != null) {
            n.say(); // "1 volume locked: … — `unlock`" (read-only, on the diagnostics channel)
        }
    }

    @Command(command = "disconnect", description = "Close the connection and go back to working on this machine.")
    public void disconnect() {
        String was = ctx.target().display();
        hosts.disconnect();
        ctx.setTarget(Target.LOCAL);
        ui.ok("disconnected from " + was + "; now working on this machine");
    }

    @Command(command = "use", description = "Select what later commands work on: use vg|lv|mapping|mountpoint|instance NAME ('none' clears; "
            + "an instance is looked up with DescribeInstances).")
    public void use(
            @Option(description = "vg, lv, mapping, mountpoint or instance", required = true)
            @OptionValues(provider = "contextPartCompletion") String what,
            @Option(description = "the name to select, or 'none'", required = true)
            @OptionValues(provider = "contextValueCompletion") String name) {
        SessionContext.Part part = part(what);
        String value = "none".equals(name) || "-".equals(name) ? null : validate(part, name);
        VolumeService vs = volumes.getIfAvailable();
        if (part == SessionContext.Part.INSTANCE && value != null && vs != null) {
            // DescribeInstances: the instance must exist; its zone, state and volumes are shown
            VolumeCommands.printInstance(ui, vs.useInstance(value));
            return;
        }
        ctx.set(part, value);
        ui.ok(value == null ? what + " cleared" : "using " + part.name().toLowerCase(Locale.ROOT) + " " + value);
    }

    @NotRecorded
    @Command(command = "context", description = "Show the session context: target, instance, VG, LV, mapping, mountpoint.")
    public void context(@Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
                        String output) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", ctx.target().display());
        m.put("identityFile", ctx.target().identityFile());
        m.put("instance", ctx.instanceId());
        m.put("vg", ctx.vg());
        m.put("lv", ctx.lv());
        m.put("mapping", ctx.mapping());
        m.put("mountpoint", ctx.mountpoint());
        m.put("connected", hosts.connected());
        if (OutputFormat.parse(output) == OutputFormat.JSON) {
            ui.json(m);
            return;
        }
        if (ctx.target().identityFile() == null) {
            m.remove("identityFile");
        }
        ui.keyValues(m);
    }

    private static String absolute(String path) {
        return path == null ? null : io.cryptvol.session.Dirs.expandHome(path).toAbsolutePath().normalize().toString();
    }

    static SessionContext.Part part(String what) {
        try {
            return SessionContext.Part.valueOf(what.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CryptvolException("cannot use '" + what + "': choose vg, lv, mapping, mountpoint or instance", ExitCode.USAGE, null);
        }
    }

    /**
     * The value, checked by the one validator for its kind ({@link io.cryptvol.domain.plan.Inputs}); a mountpoint
     * comes back normalised. System directories are the planners' call (they know --force).
     */
    static String validate(SessionContext.Part part, String name) {
        if (part == SessionContext.Part.MOUNTPOINT) {
            io.cryptvol.domain.plan.Inputs.Checked c = io.cryptvol.domain.plan.Inputs.mountpoint(name, true);
            if (!c.ok()) {
                throw new CryptvolException(c.refusal().line(), ExitCode.USAGE, null);
            }
            return c.value();
        }
        java.util.Optional<io.cryptvol.domain.plan.Refusal> bad = switch (part) {
            case VG -> io.cryptvol.domain.plan.Inputs.vgName(name);
            case LV -> io.cryptvol.domain.plan.Inputs.lvName(name);
            case MAPPING -> io.cryptvol.domain.plan.Inputs.mappingName(name);
            case MOUNTPOINT, INSTANCE -> java.util.Optional.empty();
        };
        if (bad.isPresent()) {
            throw new CryptvolException(bad.get().line(), ExitCode.USAGE, null);
        }
        boolean ok = part != SessionContext.Part.INSTANCE || name.matches("i-[0-9a-f]{8,17}");
        if (!ok) {
            throw new CryptvolException("not a valid " + part.name().toLowerCase(Locale.ROOT) + " name: "
                    + io.cryptvol.domain.plan.Inputs.shown(name), ExitCode.USAGE, null);
        }
        return name;
    }
}
