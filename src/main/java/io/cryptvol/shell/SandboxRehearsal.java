package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.record.Replayer;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import org.springframework.context.ApplicationEventPublisher;

import java.net.URI;
import java.util.Objects;

/**
 * The sandbox as the stage of {@code replay FILE --rehearse}: a fresh sandbox (started, or reset when it
 * already runs), the session pointed at its instance and EC2 endpoint for the rehearsal, and everything
 * put back afterwards. A sandbox started for the rehearsal is stopped again, so EBS commands of the real
 * run go where they went before; a sandbox that was already running stays up (reset).
 */
public class SandboxRehearsal implements Replayer.Stage {
    private final Sandbox sandbox;
    private final HostAccess hosts;
    private final SessionContext ctx;
    private final AwsAccess aws;
    private final ApplicationEventPublisher events;
    private final Ui ui;
    private boolean startedHere;
    private AwsAccess.Configured awsBefore;
    private Target sandboxTarget;
    private URI sandboxEndpoint;

    public SandboxRehearsal(Sandbox sandbox, HostAccess hosts, SessionContext ctx, AwsAccess aws,
                            ApplicationEventPublisher events, Ui ui) {
        this.sandbox = sandbox;
        this.hosts = hosts;
        this.ctx = ctx;
        this.aws = aws;
        this.events = events;
        this.ui = ui;
    }

    @Override
    public boolean running() {
        return sandbox.running();
    }

    @Override
    public String enter(ContextState before) {
        awsBefore = aws.configured();
        hosts.disconnect();
        Sandbox.Status s;
        if (sandbox.running()) {
            startedHere = false;
            ui.println(ui.dim("resetting the sandbox for the rehearsal ..."));
            s = sandbox.reset();
        } else {
            startedHere = true;
            ui.println(ui.dim("starting the sandbox for the rehearsal (first time: builds the test instance image) ..."));
            s = sandbox.start();
        }
        events.publishEvent(new SandboxCommands.SandboxChanged(s));
        sandboxTarget = SandboxCommands.target(s);
        sandboxEndpoint = s.ec2Endpoint();
        hosts.connect(sandboxTarget, false);
        // the script's names (VG, LV, ...) stay; only where it runs changes
        ctx.restore(new ContextState(sandboxTarget, s.instanceId(), before.vg(), before.lv(), before.mapping(),
                before.mountpoint()));
        SandboxCommands.banner(ui);
        return "sandbox instance " + s.instanceId();
    }

    @Override
    public String breach() {
        if (!Objects.equals(ctx.target(), sandboxTarget)) {
            return "the script changed the target to " + ctx.target().display();
        }
        if (!Objects.equals(aws.settings().endpoint(), sandboxEndpoint)) {
            URI e = aws.settings().endpoint();
            return "the script pointed EC2 calls at " + (e == null ? "AWS" : e.toString());
        }
        return null;
    }

    @Override
    public void leave(ContextState before) {
        hosts.disconnect();
        if (startedHere && sandbox.running()) {
            sandbox.stop();
            events.publishEvent(new SandboxCommands.SandboxChanged(sandbox.status()));
        }
        if (awsBefore != null) {
            aws.restore(awsBefore);
        }
        ctx.restore(before); // the host connection to the original target is made again on first use
    }
}
