package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.record.Replayer;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;

import java.net.URI;
import java.util.Objects;

/**
 * The sandbox as the stage of {@code replay FILE --rehearse}: a fresh sandbox (started, or reset when it
 * already runs), the session pointed at its instance and EC2 endpoint for the rehearsal, and everything
 * put back afterwards. A sandbox started for the rehearsal is stopped again, so EBS commands of the real
 * run go where they went before; a sandbox that was already running stays up (reset), and a session that
 * was on it is on it again, on its new instance. Entering and leaving go through {@link SandboxSession}, and
 * the AWS settings follow the sandbox through its events alone: this class saves and restores neither.
 */
public class SandboxRehearsal implements Replayer.Stage {
    private final Sandbox sandbox;
    private final HostAccess hosts;
    private final SessionContext ctx;
    private final AwsAccess aws;
    private final SandboxSession session;
    private final Ui ui;
    private boolean startedHere;
    private boolean wasInside;
    private Target sandboxTarget;
    private URI sandboxEndpoint;

    public SandboxRehearsal(Sandbox sandbox, HostAccess hosts, SessionContext ctx, AwsAccess aws,
                            SandboxSession session, Ui ui) {
        this.sandbox = sandbox;
        this.hosts = hosts;
        this.ctx = ctx;
        this.aws = aws;
        this.session = session;
        this.ui = ui;
    }

    @Override
    public boolean running() {
        return sandbox.running();
    }

    @Override
    public String enter(ContextState before) {
        hosts.disconnect();
        wasInside = session.inside();
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
        // the script's names (VG, LV, ...) stay; only where it runs changes
        session.enter(s, before);
        sandboxTarget = SandboxCommands.target(s);
        sandboxEndpoint = s.ec2Endpoint();
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
        if (startedHere) {
            if (sandbox.running()) {
                sandbox.stop();
            }
            session.leave(); // the context of before the sandbox: before
        } else if (wasInside && sandbox.running()) {
            // the session was on the sandbox: back on it, with its names, on the instance the reset made
            session.enter(sandbox.status(), before);
        } else {
            session.leave();
        }
    }
}
