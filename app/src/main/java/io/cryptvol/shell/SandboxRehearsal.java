package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.record.Replayer;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The sandbox as the stage of {@code replay FILE --rehearse}: a fresh sandbox (started, or reset when it
 * already runs), the session pointed at its instance and EC2 endpoint for the rehearsal, and everything
 * put back afterwards. A sandbox started for the rehearsal is stopped again, so EBS commands of the real
 * run go where they went before; a sandbox that was already running stays up (reset), and a session that
 * was on it is on it again, on its new instance. Entering and leaving go through {@link SandboxSession}, and
 * {@link SandboxSession} alone saves and restores the target, context and AWS settings ({@link SandboxSession#save()},
 * {@link SandboxSession#restore}): a session that was on the sandbox is on the instance the reset made, not on the
 * ports of before, and one that had connected elsewhere or pointed EC2 elsewhere is there again.
 */
public class SandboxRehearsal implements Replayer.Stage {
    /** What a rehearsal does with the sandbox: the real one is {@link #of(Sandbox)}; tests give a fake. */
    public interface Machine {
        boolean running();

        Sandbox.Status start();

        Sandbox.Status reset();

        void stop();

        Sandbox.Status status();
    }

    /** The sandbox as a rehearsal's machine. */
    public static Machine of(Sandbox sandbox) {
        return new Machine() {
            @Override
            public boolean running() {
                return sandbox.running();
            }

            @Override
            public Sandbox.Status start() {
                return sandbox.start();
            }

            @Override
            public Sandbox.Status reset() {
                return sandbox.reset();
            }

            @Override
            public void stop() {
                sandbox.stop();
            }

            @Override
            public Sandbox.Status status() {
                return sandbox.status();
            }
        };
    }

    private final Machine sandbox;
    private final HostAccess hosts;
    private final SessionContext ctx;
    private final AwsAccess aws;
    private final SandboxSession session;
    private final Ui ui;
    private boolean startedHere;
    private SandboxSession.Saved saved;
    /** The sandbox's own context file as it was before a rehearsal that started the sandbox (null: none). */
    private byte[] sandboxContext;
    private Target sandboxTarget;
    private URI sandboxEndpoint;

    public SandboxRehearsal(Machine sandbox, HostAccess hosts, SessionContext ctx, AwsAccess aws,
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
        saved = session.save();
        hosts.disconnect();
        Sandbox.Status s;
        if (sandbox.running()) {
            startedHere = false;
            ui.println(ui.dim("resetting the sandbox for the rehearsal ..."));
            s = sandbox.reset();
        } else {
            startedHere = true;
            sandboxContext = readIfThere(session.contextFile()); // the sandbox's names of last time are the user's
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
        if (startedHere && sandbox.running()) {
            sandbox.stop();
        }
        if (saved != null) {
            session.restore(saved, sandbox.status()); // as it was; on the sandbox's instance of now if it was on it
            saved = null;
        } else {
            session.leave(); // entering failed before anything was saved
        }
        if (startedHere) {
            putBack(session.contextFile(), sandboxContext);
            sandboxContext = null;
        }
    }

    private static byte[] readIfThere(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void putBack(Path file, byte[] bytes) {
        try {
            if (bytes == null) {
                Files.deleteIfExists(file);
            } else {
                Files.write(file, bytes);
            }
        } catch (IOException e) {
            ui.warn("could not put back the sandbox's context file " + file + ": " + e.getMessage());
        }
    }
}
