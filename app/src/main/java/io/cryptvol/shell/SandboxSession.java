package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.ContextStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The one owner of the session's way into and out of the sandbox ({@code sandbox start|reboot|stop|reset},
 * {@code --sandbox}, a rehearsal), and of what that changes: the target and context, and the AWS settings.
 * Inside, the session works on the sandbox's instance, EBS commands go to the sandbox's EC2 endpoint, and its
 * context is saved in the sandbox's own file ({@code <sandbox data>/context.json}); the session's file keeps
 * the context of before, so quitting never leaves the normal session pointing at the sandbox. Leaving puts
 * that context and those AWS settings back. A rehearsal takes a {@link #save()} before and gives it to
 * {@link #restore} after: the session is then as it was, on the sandbox's instance of now if it was on it.
 */
public class SandboxSession {
    private final Sandbox sandbox;
    private final HostAccess hosts;
    private final SessionContext ctx;
    private final ContextStore store;
    private final AwsAccess aws;
    /** The context of before the sandbox; null while outside. */
    private ContextState outside;
    /** The AWS settings of before the sandbox; null while outside. */
    private AwsAccess.Configured outsideAws;
    /** The endpoint EBS commands were pointed at on the last entry (the sandbox's), or null. */
    private String followed;

    /** How the session was at one moment, to put it back with {@link #restore}. */
    public record Saved(ContextState context, AwsAccess.Configured aws, ContextState outside,
                        AwsAccess.Configured outsideAws, String followed) {
        boolean inside() {
            return outside != null;
        }
    }

    public SandboxSession(Sandbox sandbox, HostAccess hosts, SessionContext ctx, ContextStore store, AwsAccess aws) {
        this.sandbox = sandbox;
        this.hosts = hosts;
        this.ctx = ctx;
        this.store = store;
        this.aws = aws;
    }

    public synchronized boolean inside() {
        return outside != null;
    }

    /** Where the sandbox keeps the context of the session on it (gone with {@code sandbox reset}). */
    public Path contextFile() {
        return sandbox.dataDir().resolve("context.json");
    }

    /**
     * Points the session at the running sandbox: its target and instance, and {@code names} (VG, LV, mapping,
     * mountpoint), or when null the names last used on this sandbox instance; EBS commands go to its endpoint.
     */
    public synchronized void enter(Sandbox.Status s, ContextState names) {
        if (outside == null) {
            outside = ctx.state();
            outsideAws = aws.configured();
            store.divert(contextFile());
        }
        if (names == null) {
            ContextState saved = new ContextStore(contextFile()).load();
            names = saved != null && s.instanceId().equals(saved.instanceId()) ? saved : null;
        }
        Target t = SandboxCommands.target(s);
        hosts.connect(t, false);
        ctx.restore(new ContextState(t, s.instanceId(), names == null ? null : names.vg(),
                names == null ? null : names.lv(), names == null ? null : names.mapping(),
                names == null ? null : names.mountpoint()));
        if (s.ec2Endpoint() != null) {
            followed = s.ec2Endpoint().toString();
            aws.configureSandbox(SandboxEc2Server.DEFAULT_REGION, followed);
        }
    }

    /** The session's context now (its names are what a re-entry after a reboot keeps). */
    public ContextState names() {
        return ctx.state();
    }

    /** Back to the context and AWS settings of before the sandbox (the connection is made again on first use). */
    public synchronized void leave() {
        hosts.disconnect();
        if (outside != null) {
            ContextState back = outside;
            AwsAccess.Configured backAws = outsideAws;
            outside = null;
            outsideAws = null;
            followed = null;
            store.divert(null);
            if (isSandboxTarget(back.target())) {
                // a context saved by an older cryptvol, still on the sandbox: this machine is what was before it
                back = new ContextState(Target.LOCAL, null, null, null, null, null);
            }
            aws.restore(backAws);
            ctx.restore(back);
        }
    }

    /** The session as it is now: context, AWS settings, and whether (and from where) it is inside the sandbox. */
    public synchronized Saved save() {
        return new Saved(ctx.state(), aws.configured(), outside, outsideAws, followed);
    }

    /**
     * Puts the session back as {@link #save()} found it. Outside then: outside again, with that context and
     * those AWS settings. Inside then, with the sandbox still running ({@code now}, which may be another
     * instance on other ports after a reset): inside again; a target that was the sandbox's is the sandbox's
     * instance of now (with the names of then), and AWS settings that followed the sandbox follow it still;
     * anything else (a {@code connect} or {@code aws use} made inside) is put back as it was. Inside then but
     * the sandbox is gone: outside, as {@link #leave()}.
     */
    public synchronized void restore(Saved saved, Sandbox.Status now) {
        hosts.disconnect();
        if (!saved.inside()) {
            outside = saved.context();
            outsideAws = saved.aws();
            leave();
            return;
        }
        if (now == null || !now.running()) {
            outside = saved.outside();
            outsideAws = saved.outsideAws();
            leave();
            return;
        }
        outside = saved.outside();
        outsideAws = saved.outsideAws();
        store.divert(contextFile());
        boolean followedSandbox = saved.followed() != null && Objects.equals(saved.aws().endpoint(), saved.followed());
        if (isSandboxTarget(saved.context().target())) {
            enter(now, saved.context());
        } else {
            ctx.restore(saved.context());
        }
        if (followedSandbox && now.ec2Endpoint() != null) {
            followed = now.ec2Endpoint().toString();
            aws.configureSandbox(SandboxEc2Server.DEFAULT_REGION, followed);
        } else {
            followed = saved.followed();
            aws.restore(saved.aws());
        }
    }

    /** Whether a target is (was) a sandbox instance: its identity lives in the sandbox's data directory. */
    public boolean isSandboxTarget(Target t) {
        return t != null && !t.isLocal() && t.identityFile() != null
                && Path.of(t.identityFile()).toAbsolutePath().normalize().startsWith(sandbox.dataDir().toAbsolutePath().normalize());
    }
}
