package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.CipherPreset;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.cmd.LuksType;
import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The observe-then-plan glue of the stage commands: checks the keys a command names exist (before anything
 * runs), observes the host ({@link HostObserver}), plans, and refreshes the completion {@link Inventory}; and
 * resolves a value from the session context. Option values are parsed where they belong: {@code LuksSettings}
 * (LUKS options), {@code Sizes.parse}, {@code FsType.parse}, {@code Inputs.devPath/deviceList}; a key file
 * that would not be on tmpfs is the planners' refusal ({@code HostState.keyDirOnTmpfs}).
 */
public class StageSupport {
    private final PlanRunner.KeySource keys;
    private final Inventory inventory;
    private final SessionContext ctx;
    private final SessionMode mode;

    private final io.cryptvol.keys.HeaderService headers;

    public StageSupport(PlanRunner.KeySource keys, Inventory inventory, SessionContext ctx, SessionMode mode) {
        this(keys, inventory, ctx, mode, null);
    }

    /**
     * @param headers compares each observed LUKS header with its newest backup, so that a plan finding its header work
     *                done still backs up a header an interrupted run never backed up ({@code HostState.unbackedHeaders});
     *                null: not compared
     */
    public StageSupport(PlanRunner.KeySource keys, Inventory inventory, SessionContext ctx, SessionMode mode,
                        io.cryptvol.keys.HeaderService headers) {
        this.keys = keys;
        this.inventory = inventory;
        this.ctx = ctx;
        this.mode = mode;
        this.headers = headers;
    }

    public PlanRunner.KeySource keys() {
        return keys;
    }

    public SessionContext context() {
        return ctx;
    }

    /**
     * A planner function for {@link PlanEngine}: checks every key name resolves, observes the host
     * (scope + key tests), plans, refreshes the inventory unless the plan was refused. (A key file write where the
     * target's key directory is not on tmpfs is the planners' refusal: HostState.keyDirOnTmpfs.)
     */
    public Function<HostExecutor, PlanResult> planning(HostObserver.Scope scope,
                                                       Function<HostState, PlanResult> planner) {
        return planning(scope, null, planner);
    }

    /**
     * The same, with key references first offered to {@code extra} (a key file, a backup or a typed passphrase of
     * this one command, {@code day2.KeyChoice#source}); the plan engine that runs the plan needs the same
     * ({@code PlanEngine.withKeys}).
     */
    public Function<HostExecutor, PlanResult> planning(HostObserver.Scope scope, PlanRunner.KeySource extra,
                                                       Function<HostState, PlanResult> planner) {
        PlanRunner.KeySource source = extra == null ? keys : ref -> {
            byte[] b = extra.bytes(ref);
            return b != null ? b : keys.bytes(ref);
        };
        return ex -> {
            requireKeys(scope.keyNames(), source);
            HostObserver o = observer(ex);
            HostState h = unbacked(ex, o.observe(scope, source));
            PlanResult r = planner.apply(h);
            if (!r.isRefused()) {
                remember(h); // a refused command changes nothing, the completion inventory included
                if (!r.plan().isEmpty()) {
                    // what Tab offers once the plan ran (PlanEngine says when it did)
                    inventory.expect(Inventory.namesOf(io.cryptvol.host.PlannedEffects.apply(h, r.plan().steps())));
                }
            }
            return r;
        };
    }

    /** The observation with the LUKS headers that have no matching backup marked (read-only: one luksDump each). */
    HostState unbacked(HostExecutor ex, HostState h) {
        if (headers == null) {
            return h;
        }
        HostState out = h;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (var e : new java.util.TreeMap<>(h.luks()).entrySet()) {
            if (e.getValue().uuid() != null && seen.add(e.getValue().uuid().toLowerCase(Locale.ROOT))
                    && !headers.backedUp(ex, e.getKey(), h).orElse(true)) {
                out = out.withUnbackedHeader(e.getValue().uuid());
            }
        }
        return out;
    }

    /** An observer of the host through {@code ex}; in a dry run it sees the steps planned so far as done. */
    public HostObserver observer(HostExecutor ex) {
        return new HostObserver(ex, mode.overlay());
    }

    /** Fails with "unknown key" before anything changes; the bytes read are zeroed at once. */
    public void requireKeys(List<String> names) {
        requireKeys(names, keys);
    }

    private void requireKeys(List<String> names, PlanRunner.KeySource source) {
        for (String n : names) {
            if (mode.keyPlanned(n)) {
                continue; // a line before, in this dry run, would have generated it
            }
            byte[] b = source.bytes(KeyRef.named(n));
            if (b == null || b.length == 0) {
                throw new CryptvolException("key '" + n + "' is empty", ExitCode.USAGE, null);
            }
            Arrays.fill(b, (byte) 0);
        }
    }

    /**
     * Refuses, on one read-only observation, a VG, mapping or mountpoint name that is in use on the host: for
     * commands that create EBS volumes before their host plan ({@code provision --new-volumes}).
     */
    public void requireNamesFree(HostExecutor ex, String vg, String mapping, String mountpoint, String hint) {
        io.cryptvol.domain.plan.NamesFree.check(observer(ex).devicesAndLvm(), vg, mapping, mountpoint).ifPresent(t -> {
            throw new CryptvolException("refused: " + t.message() + " (give another " + t.option() + ")" + hint,
                    ExitCode.FAILED, null);
        });
    }

    /** Refreshes what Tab completion offers on the current target ({@link Inventory#remember}). */
    public void remember(HostState h) {
        inventory.remember(h);
    }

    /** The option, else the context's value, else a usage error naming both. */
    public String orContext(String value, SessionContext.Part part, String option) {
        if (value != null && !value.isBlank()) {
            return value;
        }
        String v = ctx.get(part);
        if (v == null) {
            throw new CryptvolException("no " + part.name().toLowerCase(Locale.ROOT) + " given: pass " + option
                    + " or select one with 'use " + part.name().toLowerCase(Locale.ROOT) + " NAME'", ExitCode.USAGE, null);
        }
        return v;
    }
}
