package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.cmd.LuksType;
import io.cryptvol.domain.cmd.Modprobe;
import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.cmd.Wipe;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;

import java.util.ArrayList;
import java.util.List;

/**
 * Overwrites new, empty volumes before use, so no earlier tenant's data can be read through
 * them. Refuses any device with a signature, a holder or a mount.
 *
 * <ul>
 *   <li>{@link Method#PLAIN}: a throwaway plain dm-crypt mapping with a random key on stdin, zeros
 *       written through it (the disk receives ciphertext), closed. No header to drop. Default.</li>
 *   <li>{@link Method#LUKS}: the original procedure: throwaway LUKS2 with a tiny random key and a
 *       pinned 16 MiB data offset, zeros through it, close, then the header area is zeroed.</li>
 *   <li>{@link Method#DISCARD}: blkdiscard (fast; what a read returns afterwards is up to the device).</li>
 * </ul>
 */
public final class SanitizePlanner {
    public enum Method { PLAIN, LUKS, DISCARD }

    static final String CIPHER = "aes-xts-plain64";
    static final long LUKS_OFFSET_SECTORS = 32768; // 16 MiB
    static final long LUKS_OFFSET_BYTES = LUKS_OFFSET_SECTORS * 512;

    public PlanResult plan(List<String> devices, Method method, HostState h) {
        List<Refusal> refusals = new ArrayList<>();
        if (devices.isEmpty()) {
            refusals.add(Refusal.of(Refusal.Reason.INVALID_SPEC, "sanitize", "give at least one device"));
        }
        for (String d : devices) {
            refusals.addAll(DeviceChecks.emptyAndUnused(h, d));
        }
        for (String d : devices) {
            h.deviceByPath(d).filter(b -> method == Method.LUKS && b.sizeBytes() <= LUKS_OFFSET_BYTES)
                    .ifPresent(b -> refusals.add(Refusal.of(Refusal.Reason.INVALID_SPEC, d,
                            "is too small for the LUKS method; use plain")));
        }
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        List<PlanStep> steps = new ArrayList<>();
        if (method != Method.DISCARD) {
            steps.add(PlanStep.of(StepKind.LOAD_MODULES, Modprobe.load(Modprobe.DM_CRYPT)));
        }
        for (String d : devices) {
            BlockDevice b = h.deviceByPath(d).orElseThrow();
            switch (method) {
                case PLAIN -> steps.add(plain(d, b.sizeBytes()));
                case LUKS -> steps.addAll(luks(d, b.sizeBytes()));
                case DISCARD -> steps.add(PlanStep.of(StepKind.WIPE_DEVICE, Wipe.blkdiscard(d)));
            }
        }
        return PlanResult.ok(new Plan("Sanitize " + String.join(", ", devices) + " (" + method.name().toLowerCase()
                + ")", steps));
    }

    static String mappingName(String device) {
        return "cryptvol-wipe-" + device.substring(device.lastIndexOf('/') + 1);
    }

    private static PlanStep plain(String dev, long size) {
        String name = mappingName(dev);
        return new PlanStep(StepKind.WIPE_DEVICE, "Overwrite " + dev + " through a throwaway plain mapping ("
                + Sizes.human(size) + ")",
                List.of(StepCommand.withKey(Cryptsetup.openPlain(dev, name, CIPHER, 512),
                                KeyRef.ephemeral("wipe-" + name, 64)),
                        StepCommand.of(Wipe.zeroFill("/dev/mapper/" + name, size))),
                List.of(StepCommand.of(Cryptsetup.close(name))), false);
    }

    private static List<PlanStep> luks(String dev, long size) {
        String name = mappingName(dev);
        KeyRef key = KeyRef.ephemeral("wipe-" + name, 32);
        LuksOptions throwaway = new LuksOptions(LuksType.LUKS2, CIPHER, 512, "sha256", Kdf.fastForTests());
        PlanStep wipe = new PlanStep(StepKind.WIPE_DEVICE, "Overwrite " + dev + " through a throwaway LUKS mapping ("
                + Sizes.human(size) + ")",
                List.of(StepCommand.withKey(Cryptsetup.luksFormat(dev, throwaway, LUKS_OFFSET_SECTORS), key),
                        StepCommand.withKey(Cryptsetup.open(dev, name), key),
                        StepCommand.of(Wipe.zeroFill("/dev/mapper/" + name, size - LUKS_OFFSET_BYTES))),
                List.of(StepCommand.of(Cryptsetup.close(name))), false);
        PlanStep drop = new PlanStep(StepKind.DROP_HEADER, "Drop the throwaway LUKS header of " + dev,
                List.of(StepCommand.of(Wipe.zeroFill(dev, LUKS_OFFSET_BYTES))), List.of(), false);
        return List.of(wipe, drop);
    }
}
