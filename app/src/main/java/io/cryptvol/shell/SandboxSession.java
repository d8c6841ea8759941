package io.cryptvol.shell;

import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.ContextStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import org.springframework.context.ApplicationEventPublisher;

import java.nio.file.Path;

/**
 * The one owner of the session's way into and out of the sandbox ({@code sandbox start|reboot|stop|reset},
 * {@code --sandbox}, a rehearsal). Inside, the session works on the sandbox's instance, and its context is
 * saved in the sandbox's own file ({@code <sandbox data>/context.json}); the session's file keeps the
 * context of before, so quitting never leaves the normal session pointing at the sandbox. Leaving puts that
 * context back. The AWS settings follow through {@link SandboxCommands.SandboxChanged} alone
 * ({@link AwsConfig.SandboxEndpointFollower}).
 */
public class SandboxSession {
    private final Sandbox sandbox;
    private final HostAccess hosts;
    private final SessionContext ctx;
    private final ContextStore store;
    private final ApplicationEventPublisher events;
    /** The context of before the sandbox; null while outside. */
    private ContextState outside;

    public SandboxSession(Sandbox sandbox, HostAccess hosts, SessionContext ctx, ContextStore store,
                          ApplicationEventPublisher events) {
        this.sandbox = sandbox;
        this.hosts = hosts;
        this.ctx = ctx;
        this.store = store;
        this.events = events;
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
     * mountpoint), or when null the names last used on this sandbox instance.
     */
    public synchronized void enter(Sandbox.Status s, ContextState names) {
        if (outside == null) {
            outside = ctx.state();
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
        events.publishEvent(new SandboxCommands.SandboxChanged(s));
    }

    /** The session's context now (its names are what a re-entry after a reboot keeps). */
    public ContextState names() {
        return ctx.state();
    }

    /** Back to the context of before the sandbox (its connection is made again on first use). */
    public synchronized void leave() {
        hosts.disconnect();
        events.publishEvent(new SandboxCommands.SandboxChanged(sandbox.status()));
        if (outside != null) {
            ContextState back = outside;
            outside = null;
            store.divert(null);
            if (isSandboxTarget(back.target())) {
                // a context saved by an older cryptvol, still on the sandbox: this machine is what was before it
                back = new ContextState(Target.LOCAL, null, null, null, null, null);
            }
            ctx.restore(back);
        }
    }

    /** Whether a target is (was) a sandbox instance: its identity lives in the sandbox's data directory. */
    public boolean isSandboxTarget(Target t) {
        return t != null && !t.isLocal() && t.identityFile() != null
                && Path.of(t.identityFile()).toAbsolutePath().normalize().startsWith(sandbox.dataDir().toAbsolutePath().normalize());
    }
}
