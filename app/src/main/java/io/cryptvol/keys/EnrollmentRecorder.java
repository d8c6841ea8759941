package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.parse.LuksDumpParser;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepCommand;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Records in the key store which key went into which LUKS key slot, as a plan runs (metadata only, never bytes).
 * Before a step that enrolls a key ({@link StepKind#LUKS_FORMAT}, {@link StepKind#LUKS_ADD_KEY}) or changes a
 * header's UUID ({@link StepKind#NEW_LUKS_UUID}) it reads the header ({@code cryptsetup luksDump}, a query);
 * after the step succeeded it reads it again and records what the host says changed:
 * <ul>
 *   <li>format: the one new slot → the step's key; the old header's enrollments (a re-format) are forgotten;</li>
 *   <li>add-key: the slot that appeared → the key written to the tmpfs file (the new key);</li>
 *   <li>new UUID (a restored copy): every enrollment of the old UUID is copied to the new one.</li>
 * </ul>
 * A failed step records nothing (only {@code stepDone} records), and a dry run never gets here: a plan that is
 * only shown is never run. Keys that are not in the store (a key file, a typed passphrase) are not recorded.
 * A failure to record is a warning: the host change has happened, and the metadata is only a hint.
 */
public final class EnrollmentRecorder implements PlanRunner.Listener {
    private final HostExecutor executor;
    private final KeyStore store;
    private final Consumer<String> warn;
    private String device;
    private LuksHeader before;

    public EnrollmentRecorder(HostExecutor executor, KeyStore store, Consumer<String> warn) {
        this.executor = executor;
        this.store = store;
        this.warn = warn == null ? w -> { } : warn;
    }

    static boolean records(PlanStep step) {
        return step.kind() == StepKind.LUKS_FORMAT || step.kind() == StepKind.LUKS_ADD_KEY
                || step.kind() == StepKind.NEW_LUKS_UUID;
    }

    @Override
    public void stepStarted(int index, int total, PlanStep step) {
        device = null;
        before = null;
        if (!records(step) || !executor.changesHost()) {
            return;
        }
        device = deviceOf(step).orElse(null);
        if (device != null) {
            before = dump(device).orElse(null);
            if (before == null && step.kind() == StepKind.NEW_LUKS_UUID) {
                warn.accept("could not read the LUKS header of " + device + " before giving it a new UUID: the keys "
                        + "that open it are not recorded for the new UUID");
            }
        }
    }

    @Override
    public void stepDone(int index, int total, PlanStep step, Duration took) {
        if (device == null || !records(step)) {
            return;
        }
        try {
            Optional<LuksHeader> after = dump(device);
            if (after.isEmpty() || after.get().uuid() == null) {
                return;
            }
            for (Change c : changes(step, before, after.get())) {
                c.apply(store);
            }
        } catch (CryptvolException | IllegalArgumentException e) {
            warn.accept("could not record which key opens " + device + ": " + e.getMessage());
        } finally {
            device = null;
            before = null;
        }
    }

    @Override
    public void stepFailed(int index, int total, PlanStep step, String error) {
        device = null;
        before = null;
    }

    /** One change to the key store's enrollments. */
    sealed interface Change {
        void apply(KeyStore store);
    }

    record Enroll(String key, String uuid, int slot, String label) implements Change {
        @Override
        public void apply(KeyStore store) {
            store.recordEnrollment(key, uuid, slot, label);
        }
    }

    record Forget(String uuid, int slot) implements Change {
        @Override
        public void apply(KeyStore store) {
            store.forgetEnrollment(uuid, slot);
        }
    }

    /**
     * What the step did to the enrollments, from the header before and after it (pure; keys not in the store are
     * left out by the caller's store lookups).
     */
    List<Change> changes(PlanStep step, LuksHeader was, LuksHeader now) {
        List<Change> out = new ArrayList<>();
        String label = label(device);
        boolean sameHeader = was != null && was.uuid() != null && was.uuid().equalsIgnoreCase(now.uuid());
        switch (step.kind()) {
            case LUKS_FORMAT -> {
                if (was != null && was.uuid() != null && !sameHeader) {
                    was.activeKeySlots().forEach(s -> out.add(new Forget(was.uuid(), s)));
                }
                List<Integer> fresh = sameHeader ? newSlots(was, now) : now.activeKeySlots();
                keyOf(step, true).filter(k -> fresh.size() == 1)
                        .ifPresent(k -> out.add(new Enroll(k, now.uuid(), fresh.get(0), label)));
            }
            case LUKS_ADD_KEY -> {
                List<Integer> fresh = sameHeader ? newSlots(was, now) : List.of();
                keyOf(step, false).filter(k -> fresh.size() == 1)
                        .ifPresent(k -> out.add(new Enroll(k, now.uuid(), fresh.get(0), label)));
            }
            case NEW_LUKS_UUID -> {
                if (was != null && was.uuid() != null && !sameHeader) {
                    for (KeyInfo k : store.keysFor(was.uuid())) {
                        for (Enrollment e : k.enrollments()) {
                            if (was.uuid().equalsIgnoreCase(e.luksUuid()) && now.activeKeySlots().contains(e.slot())) {
                                out.add(new Enroll(k.name(), now.uuid(), e.slot(), label));
                            }
                        }
                    }
                }
            }
            default -> {
            }
        }
        return out;
    }

    private static List<Integer> newSlots(LuksHeader was, LuksHeader now) {
        return now.activeKeySlots().stream().filter(s -> !was.activeKeySlots().contains(s)).toList();
    }

    /**
     * The enrolled key: for a format, the key on cryptsetup's stdin; for add-key, the key written to the tmpfs
     * file (the new key; the key on cryptsetup's stdin only opens the header). Only keys of the store count.
     */
    private Optional<String> keyOf(PlanStep step, boolean onCryptsetup) {
        for (StepCommand c : step.commands()) {
            KeyRef k = c.stdinKey();
            boolean cryptsetup = "cryptsetup".equals(c.command().argv().get(0));
            if (k != null && !k.ephemeral() && cryptsetup == onCryptsetup && store.exists(k.name())) {
                return Optional.of(k.name());
            }
        }
        return Optional.empty();
    }

    /** The device a cryptsetup step works on: its first /dev/ argument. */
    static Optional<String> deviceOf(PlanStep step) {
        for (StepCommand c : step.commands()) {
            List<String> argv = c.command().argv();
            if (!argv.isEmpty() && "cryptsetup".equals(argv.get(0))) {
                return argv.stream().filter(a -> a.startsWith("/dev/")).findFirst();
            }
        }
        return Optional.empty();
    }

    /** "/dev/myvg/mylv" → "myvg/mylv"; "/dev/mapper/myvg-mylv" and disks stay as given. */
    public static String label(String device) {
        if (device == null) {
            return null;
        }
        String rest = device.startsWith("/dev/") ? device.substring(5) : device;
        return rest.startsWith("mapper/") || rest.indexOf('/') < 0 ? device : rest;
    }

    private Optional<LuksHeader> dump(String dev) {
        ExecResult r = executor.run(Cryptsetup.luksDump(dev).asQuery());
        if (!r.ok()) {
            return Optional.empty();
        }
        return Optional.of(LuksDumpParser.parse(dev, r.out()));
    }
}
