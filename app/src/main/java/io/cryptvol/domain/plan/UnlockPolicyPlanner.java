package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.cmd.UnlockUnit;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.KmsToken;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.parse.LuksTokensParser.Metadata;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Unlock policies of a LUKS2 volume (pure): today {@code kms} (a KMS-wrapped key in a {@code cryptvol-kms} token,
 * opened at boot by {@code cryptvol-unlock@MAPPING.service}); other methods (TPM2, Clevis/Tang) would be other token
 * types with their own enable step, under the same rules: off by default, a key slot of their own, and a store key
 * or recovery passphrase slot always remains.
 *
 * <p>Enabling plans: the KMS data key into a new key slot (from a 0600 tmpfs file, shredded; the existing key on
 * stdin), the token ({@code cryptsetup token import}, the wrapped key and its context), the boot unit, a header
 * backup. The data key is a reference ({@link #DATA_KEY}): the service asks KMS for it only after the yes.
 */
public final class UnlockPolicyPlanner {
    /** The key reference the enrol step reads: the plaintext of GenerateDataKey, held in memory by the service. */
    public static final String DATA_KEY = "kms-data-key";
    /** Bytes of the data key: 512 random bits, as a LUKS2 volume key. */
    public static final int DATA_KEY_BYTES = 64;
    /**
     * The KMS slot's KDF: PBKDF2 at cryptsetup's least iteration count. The key is 512 random bits, so stretching
     * adds nothing (systemd-cryptenroll does the same for TPM2 and FIDO2 keys), and the boot opens it in
     * milliseconds instead of running argon2id's memory-hard derivation on a small instance.
     */
    public static final Kdf SLOT_KDF = new Kdf("pbkdf2", null, 1000, null, null);

    /**
     * What {@code unlock policy kms} asks for.
     *
     * @param keyArn     the KMS key's ARN (DescribeKey answered it), or null when not known yet
     * @param ciphertext the wrapped data key (base64), null while the plan is only shown
     */
    public record KmsRequest(String device, String mapping, String existingKey, String keyArn, String region,
                             String ciphertext) {
    }

    /**
     * What the instance holds besides the {@link HostState}: the header's tokens and key slots (null when they
     * could not be read), whether the AWS CLI is there, and whether the mapping's boot unit is enabled.
     */
    public record Extra(Metadata metadata, boolean awsCli, boolean unitEnabled) {
    }

    private final Supplier<String> tokens;

    public UnlockPolicyPlanner() {
        this(ProvisionPlanner.randomTokens());
    }

    public UnlockPolicyPlanner(Supplier<String> tokens) {
        this.tokens = tokens;
    }

    public PlanResult enableKms(KmsRequest q, HostState h, Extra x) {
        List<Refusal> r = new ArrayList<>(luks2(q.device(), h, x));
        Inputs.mappingName(q.mapping()).ifPresent(r::add);
        if (!r.isEmpty()) {
            return PlanResult.refused(r);
        }
        LuksHeader hd = h.luksOn(q.device()).orElseThrow();
        Optional<LogicalVolume> lv = h.lvs().stream().filter(l -> l.hasPath(q.device())).findFirst();
        if (lv.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.INVALID_SPEC, q.device(), "is not an LV: the KMS"
                    + " encryption context names the volume's VG (give the LUKS LV, e.g. /dev/VG/LV)")));
        }
        List<KmsToken> existing = x.metadata().kmsTokens();
        if (!existing.isEmpty()) {
            KmsToken t = existing.get(0);
            String problem = t.problem(hd.uuid());
            if (problem != null) {
                return PlanResult.refused(List.of(Refusal.of(Reason.INVALID_SPEC, q.device(), "has a cryptvol-kms token "
                        + t.tokenId() + " that cannot be used: " + problem + " ('unlock policy remove' first)")));
            }
            if (q.keyArn() != null && !q.keyArn().equals(t.keyId())) {
                return PlanResult.refused(List.of(Refusal.of(Reason.INVALID_SPEC, q.device(), "has a KMS policy with key "
                        + t.keyId() + " already: 'unlock policy remove' first to change the key")));
            }
            if (x.unitEnabled()) {
                return PlanResult.ok(new Plan("KMS unlock policy of " + q.device() + " (on already)", List.of()));
            }
            // the header carries the policy (a restored set, another instance): only the boot unit is missing
            if (!x.awsCli()) {
                return PlanResult.refused(List.of(noCli()));
            }
            return PlanResult.ok(new Plan("KMS unlock policy of " + q.device() + " (its header has it; install the unit)",
                    List.of(installStep(q.mapping(), hd.uuid(), t.tokenId()))));
        }
        if (!x.awsCli()) {
            r.add(noCli());
        }
        if (q.existingKey() == null) {
            r.add(Refusal.of(Reason.LUKS_KEY_NOT_CHECKED, q.device(), "give the key that opens it (--key NAME)"));
        } else {
            Optional<Boolean> opens = h.keyOpens(q.device(), q.existingKey());
            if (opens.isEmpty()) {
                r.add(Refusal.of(Reason.LUKS_KEY_NOT_CHECKED, q.device(), "key '" + q.existingKey() + "' was not checked"));
            } else if (!opens.get()) {
                r.add(Refusal.of(Reason.LUKS_KEY_DOES_NOT_OPEN, q.device(), "key '" + q.existingKey()
                        + "' does not open it"));
            }
        }
        int slot = x.metadata().freeKeySlot();
        int token = x.metadata().freeTokenId();
        if (slot < 0 || token < 0) {
            r.add(Refusal.of(Reason.INVALID_SPEC, q.device(), "has no free " + (slot < 0 ? "key slot" : "token")));
        }
        if (!r.isEmpty()) {
            return PlanResult.refused(r);
        }
        String file = KeyFiles.path(tokens.get());
        PlanStep enrol = new PlanStep(StepKind.LUKS_ADD_KEY, "Enrol the KMS data key in key slot " + slot + " of "
                + q.device(), List.of(
                StepCommand.of(KeyFiles.makeDir()),
                StepCommand.of(KeyFiles.tmpfsCheck()),
                StepCommand.withKey(KeyFiles.write(file), KeyRef.named(DATA_KEY)),
                StepCommand.withKey(Cryptsetup.luksAddKey(q.device(), file, SLOT_KDF, slot), KeyRef.named(q.existingKey()))),
                List.of(StepCommand.of(KeyFiles.shred(file))), false);
        KmsToken t = new KmsToken(token, slot, q.keyArn() == null ? "(the key's ARN)" : q.keyArn(), q.region(),
                q.ciphertext() == null ? "(from GenerateDataKey)" : q.ciphertext(),
                KmsToken.context(hd.uuid(), lv.get().vgName()));
        HostCommand imp = Cryptsetup.tokenImport(q.device(), token).withStdin(tokenJson(t));
        PlanStep store = new PlanStep(StepKind.TOKEN_IMPORT, "Store the KMS-wrapped key in LUKS2 token " + token
                + " (cryptvol-kms, key " + t.keyId() + ", context luks_uuid=" + t.context().get(KmsToken.CONTEXT_UUID)
                + ", vg=" + t.context().get(KmsToken.CONTEXT_VG) + ")", List.of(StepCommand.of(imp)), List.of(), false);
        List<PlanStep> steps = List.of(enrol, store, installStep(q.mapping(), hd.uuid(), token),
                HeaderPlanner.backupStep(q.device(), tokens));
        List<Refusal> dir = StagePlanner.keyDir(h, steps);
        return dir.isEmpty() ? PlanResult.ok(new Plan("KMS unlock policy of " + q.device() + " (/dev/mapper/" + q.mapping()
                + ")", steps)) : PlanResult.refused(dir);
    }

    /** {@code unlock policy remove}: the unit, the token, its key slot; refused when no other slot would remain. */
    public PlanResult removeKms(String device, String mapping, HostState h, Extra x) {
        List<Refusal> r = new ArrayList<>(luks2(device, h, x));
        Inputs.mappingName(mapping).ifPresent(r::add);
        if (!r.isEmpty()) {
            return PlanResult.refused(r);
        }
        List<KmsToken> kms = x.metadata().kmsTokens();
        if (kms.isEmpty()) {
            if (x.unitEnabled()) {
                return PlanResult.ok(new Plan("KMS unlock policy of " + device + " (the unit only)",
                        List.of(PlanStep.of(StepKind.UNIT_REMOVE, UnlockUnit.uninstall(mapping)))));
            }
            return PlanResult.ok(new Plan("KMS unlock policy of " + device + " (off already)", List.of()));
        }
        List<Integer> kmsSlots = kms.stream().map(KmsToken::keySlot).filter(s -> s >= 0).distinct().toList();
        List<Integer> others = x.metadata().keySlots().stream().filter(s -> !kmsSlots.contains(s)).toList();
        if (others.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.LAST_KEY_SLOT, device, "has no key slot besides the KMS"
                    + " slot " + kmsSlots + ": add a store key or a recovery passphrase first (luks add-key)")));
        }
        List<PlanStep> steps = new ArrayList<>();
        steps.add(PlanStep.of(StepKind.UNIT_REMOVE, UnlockUnit.uninstall(mapping)));
        for (KmsToken t : kms) {
            steps.add(PlanStep.of(StepKind.TOKEN_REMOVE, Cryptsetup.tokenRemove(device, t.tokenId())));
        }
        for (int s : kmsSlots) {
            steps.add(PlanStep.of(StepKind.KILL_SLOT, Cryptsetup.killSlot(device, s)));
        }
        steps.add(HeaderPlanner.backupStep(device, tokens));
        return PlanResult.ok(new Plan("Remove the KMS unlock policy of " + device + " (key slots " + others
                + " stay)", steps));
    }

    /**
     * {@code luks remove-key --slot N}: refuses a slot that is not there, a KMS slot (that is {@code unlock policy
     * remove}), and the last slot that is not a KMS slot (a store key or a recovery passphrase always remains).
     */
    public PlanResult removeSlot(String device, int slot, HostState h, Metadata md) {
        List<Refusal> r = new ArrayList<>();
        Optional<Refusal> bad = Inputs.devicePath(device);
        if (bad.isPresent()) {
            return PlanResult.refused(List.of(bad.get()));
        }
        Optional<LuksHeader> hd = h.luksOn(device);
        if (hd.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.MISSING_DEVICE, device, "holds no LUKS header")));
        }
        List<Integer> active = md != null ? md.keySlots() : hd.get().activeKeySlots();
        List<Integer> kmsSlots = md == null ? List.of() : md.kmsTokens().stream().map(KmsToken::keySlot).toList();
        if (!active.contains(slot)) {
            r.add(Refusal.of(Reason.INVALID_SPEC, device, "has no key slot " + slot + " (slots " + active + ")"));
        } else if (kmsSlots.contains(slot)) {
            r.add(Refusal.of(Reason.INVALID_SPEC, device, "key slot " + slot + " is the KMS unlock policy's: use"
                    + " 'unlock policy remove'"));
        } else if (active.stream().filter(s -> s != slot && !kmsSlots.contains(s)).findAny().isEmpty()) {
            r.add(Refusal.of(Reason.LAST_KEY_SLOT, device, "key slot " + slot + " is the last one that is not the"
                    + " KMS slot: a store key or a recovery passphrase must remain"));
        }
        if (!r.isEmpty()) {
            return PlanResult.refused(r);
        }
        List<PlanStep> steps = List.of(PlanStep.of(StepKind.KILL_SLOT, Cryptsetup.killSlot(device, slot)),
                HeaderPlanner.backupStep(device, tokens));
        return PlanResult.ok(new Plan("Remove key slot " + slot + " of " + device, steps));
    }

    static PlanStep installStep(String mapping, String luksUuid, int tokenId) {
        List<StepCommand> cmds = UnlockUnit.install(mapping, luksUuid, tokenId).stream().map(StepCommand::of).toList();
        return new PlanStep(StepKind.UNIT_INSTALL, "Install and enable " + UnlockUnit.unitName(mapping)
                + " (after network-online.target, at most " + UnlockUnit.TIMEOUT_SECONDS + " s, never holds the boot)",
                cmds, List.of(), false);
    }

    private static Refusal noCli() {
        return Refusal.of(Reason.TOOL_MISSING, "aws", "the AWS CLI is not on the instance: the boot needs it to call"
                + " KMS (install it: apt-get install awscli, or AWS CLI v2)");
    }

    /** The device is there and holds a LUKS2 header whose metadata was read. */
    private static List<Refusal> luks2(String device, HostState h, Extra x) {
        Optional<Refusal> bad = Inputs.devicePath(device);
        if (bad.isPresent()) {
            return List.of(bad.get());
        }
        if (h.deviceByPath(device).isEmpty()) {
            return List.of(Refusal.of(Reason.MISSING_DEVICE, device, "no such block device on the host"));
        }
        Optional<LuksHeader> hd = h.luksOn(device);
        if (hd.isEmpty()) {
            return List.of(Refusal.of(Reason.MISSING_DEVICE, device, "holds no LUKS header"));
        }
        if (hd.get().version() != 2) {
            return List.of(Refusal.of(Reason.UNSUPPORTED_LUKS_OPTION, device, "is LUKS" + hd.get().version()
                    + ": an unlock policy needs a LUKS2 header (its token); the guided unlock stays"));
        }
        if (x.metadata() == null) {
            return List.of(Refusal.of(Reason.MISSING_DEVICE, device, "its LUKS2 metadata could not be read"));
        }
        return List.of();
    }

    /** The token's JSON for {@code cryptsetup token import} (stdin: it holds the wrapped key, never the key). */
    public static byte[] tokenJson(KmsToken t) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(t.json())
                    .getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
