package io.cryptvol.unlock;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.KmsGateway;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.UnlockUnit;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.KmsToken;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.parse.LuksTokensParser;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.domain.plan.UnlockPolicyPlanner;
import io.cryptvol.domain.plan.UnlockPolicyPlanner.Extra;
import io.cryptvol.domain.plan.UnlockPolicyPlanner.KmsRequest;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.HostObserver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Unlock policies (#18): observes what the planner needs besides the host state (the LUKS2 tokens and key slots,
 * the AWS CLI, the boot unit), asks KMS (DescribeKey before the plan is shown, GenerateDataKey only after the yes),
 * and reads the policies back for {@code unlock policy show}, {@code luks status} and the guided unlock.
 */
public final class UnlockPolicyService {
    private final PlanRunner.KeySource keys;
    private final Function<HostExecutor, HostObserver> observers;
    private final Consumer<HostState> remember;
    private final KmsGateway kms;
    private final UnlockPolicyPlanner planner;

    public UnlockPolicyService(PlanRunner.KeySource keys, Function<HostExecutor, HostObserver> observers,
                               Consumer<HostState> remember, KmsGateway kms) {
        this(keys, observers, remember, kms, new UnlockPolicyPlanner());
    }

    public UnlockPolicyService(PlanRunner.KeySource keys, Function<HostExecutor, HostObserver> observers,
                               Consumer<HostState> remember, KmsGateway kms, UnlockPolicyPlanner planner) {
        this.keys = keys;
        this.observers = observers;
        this.remember = remember;
        this.kms = kms;
        this.planner = planner;
    }

    /** The plan as shown before the question (no data key yet), and what the run needs. */
    public record KmsProposal(KmsRequest request, Plan plan) {
    }

    /** The plan to run with the data key; {@link #close()} zeroes the key. */
    public record Enrolment(Plan plan, byte[] key) implements AutoCloseable {
        /** The key for the enrol step's reference, a copy each time (the runner zeroes what it is given). */
        public PlanRunner.KeySource source() {
            return ref -> UnlockPolicyPlanner.DATA_KEY.equals(ref.name()) ? key.clone() : null;
        }

        @Override
        public void close() {
            Arrays.fill(key, (byte) 0);
        }

        @Override
        public String toString() {
            return "Enrolment[" + plan.title() + "]";
        }
    }

    /**
     * {@code unlock policy kms}: checks the instance (LUKS2, the key, the AWS CLI) and the KMS key (DescribeKey:
     * one line when it does not exist), and plans with a placeholder for the wrapped key. Refusals throw.
     */
    public KmsProposal proposeKms(HostExecutor ex, String device, String mapping, String key, String keyId, String region) {
        String reg = region != null ? region : kms.region();
        Observed o = observe(ex, device, mapping, key);
        // the instance first: a non-LUKS2 device or a missing AWS CLI is refused without a call to KMS
        PlanResult first = planner.enableKms(new KmsRequest(device, mapping, key, null, reg, null), o.host, o.extra);
        refuseIf(first);
        String arn = kms.describe(keyId, reg);
        PlanResult r = planner.enableKms(new KmsRequest(device, mapping, key, arn, reg, null), o.host, o.extra);
        refuseIf(r);
        remember.accept(o.host);
        return new KmsProposal(new KmsRequest(device, mapping, key, arn, reg, null), r.plan());
    }

    /**
     * After the yes: GenerateDataKey with the encryption context {LUKS UUID, VG} (observed again: the plan is made
     * from the host as it is now), and the plan that enrols the key and stores the wrapped one. A plan that needs no
     * new slot (the header has the policy, only the unit is missing) gets no data key.
     */
    public Enrolment enrol(HostExecutor ex, KmsProposal p) {
        KmsRequest q = p.request();
        Observed o = observe(ex, q.device(), q.mapping(), q.existingKey());
        PlanResult again = planner.enableKms(q, o.host, o.extra);
        refuseIf(again);
        if (again.plan().steps().stream().noneMatch(s -> s.kind() == io.cryptvol.domain.plan.StepKind.TOKEN_IMPORT)) {
            return new Enrolment(again.plan(), new byte[0]);
        }
        LuksHeader hd = o.host.luksOn(q.device()).orElseThrow();
        String vg = o.host.lvs().stream().filter(l -> l.hasPath(q.device())).findFirst().orElseThrow().vgName();
        KmsGateway.DataKey dk = kms.generate(q.keyArn(), q.region(), KmsToken.context(hd.uuid(), vg),
                UnlockPolicyPlanner.DATA_KEY_BYTES);
        PlanResult r = planner.enableKms(new KmsRequest(q.device(), q.mapping(), q.existingKey(), q.keyArn(), q.region(),
                dk.ciphertext()), o.host, o.extra);
        if (r.isRefused()) {
            Arrays.fill(dk.plaintext(), (byte) 0);
            refuseIf(r);
        }
        return new Enrolment(r.plan(), dk.plaintext());
    }

    /** {@code unlock policy remove}: a planner function for the plan engine. */
    public Function<HostExecutor, PlanResult> removing(String device, String mapping) {
        return ex -> {
            Observed o = observe(ex, device, mapping, null);
            PlanResult r = planner.removeKms(device, mapping, o.host, o.extra);
            if (!r.isRefused()) {
                remember.accept(o.host);
            }
            return r;
        };
    }

    /** {@code luks remove-key --slot N}: a planner function for the plan engine. */
    public Function<HostExecutor, PlanResult> removingSlot(String device, int slot) {
        return ex -> {
            Observed o = observe(ex, device, null, null);
            return planner.removeSlot(device, slot, o.host, o.extra.metadata());
        };
    }

    /** One policy as {@code unlock policy show} and {@code luks status} list it. */
    public record Policy(String device, String uuid, String method, int tokenId, int keySlot, String keyId,
                         String region, Map<String, String> context, String mapping, boolean unitEnabled,
                         String lastBoot, String problem) {
    }

    /** The unlock policies in the LUKS2 headers of {@code devices} (tokens by type; values escaped). */
    public List<Policy> policies(HostExecutor ex, List<String> devices) {
        List<Policy> out = new ArrayList<>();
        Map<String, String> mappingOfUuid = confMappings(ex);
        for (String d : devices) {
            Optional<LuksTokensParser.Metadata> md = metadata(ex, d);
            if (md.isEmpty()) {
                continue;
            }
            String uuid = uuidOf(ex, d);
            for (LuksTokensParser.Token t : md.get().tokens()) {
                KmsToken k = t.kms();
                String mapping = uuid == null ? null : mappingOfUuid.get(uuid.toLowerCase(java.util.Locale.ROOT));
                boolean enabled = false;
                String last = null;
                if (mapping != null) {
                    ExecResult s = ex.run(UnlockUnit.readStatus(mapping));
                    String[] lines = s.out().strip().split("\n");
                    enabled = lines.length > 0 && "enabled".equals(lines[lines.length - 1].strip());
                    last = lines.length > 1 ? ControlChars.oneLine(lines[0]) : null;
                }
                if (k == null) {
                    out.add(new Policy(d, uuid, ControlChars.oneLine(t.type()), t.id(), t.keySlots().isEmpty() ? -1
                            : t.keySlots().get(0), null, null, Map.of(), mapping, enabled, last, "not a cryptvol token"));
                } else {
                    Map<String, String> ctx = new LinkedHashMap<>();
                    k.context().forEach((a, b) -> ctx.put(ControlChars.oneLine(a), ControlChars.oneLine(b)));
                    out.add(new Policy(d, uuid, "kms", k.tokenId(), k.keySlot(), ControlChars.oneLine(String.valueOf(k.keyId())),
                            ControlChars.oneLine(String.valueOf(k.region())), ctx, mapping, enabled, last, k.problem(uuid)));
                }
            }
        }
        return out;
    }

    /**
     * For the guided unlock: why the unattended unlock of {@code mapping} did not open it at this boot, one line, or
     * empty when it has no policy or never ran.
     */
    public Optional<String> bootOutcome(HostExecutor ex, String mapping) {
        if (mapping == null || io.cryptvol.domain.plan.Inputs.mappingName(mapping).isPresent()) {
            return Optional.empty();
        }
        ExecResult s = ex.run(UnlockUnit.readStatus(mapping));
        String first = s.out().strip().split("\n")[0].strip();
        return first.startsWith("locked: ") ? Optional.of("the unattended unlock (KMS) left it locked: "
                + ControlChars.oneLine(first.substring("locked: ".length()))) : Optional.empty();
    }

    // ---- observation ----------------------------------------------------------------------------------------------

    private record Observed(HostState host, Extra extra) {
    }

    private Observed observe(HostExecutor ex, String device, String mapping, String key) {
        HostState h = observers.apply(ex).observe(HostObserver.Scope.of(List.of(device), key == null ? List.of()
                : List.of(key)), keys);
        LuksTokensParser.Metadata md = h.luksOn(device).filter(l -> l.version() == 2)
                .flatMap(l -> metadata(ex, device)).orElse(null);
        boolean cli = ex.run(UnlockUnit.awsCliCheck()).ok();
        boolean unit = mapping != null && ex.run(UnlockUnit.readStatus(mapping)).out().strip().endsWith("enabled");
        return new Observed(h, new Extra(md, cli, unit));
    }

    private static Optional<LuksTokensParser.Metadata> metadata(HostExecutor ex, String device) {
        ExecResult r = ex.run(Cryptsetup.luksDumpJson(device));
        if (!r.ok()) {
            return Optional.empty();
        }
        try {
            return Optional.of(LuksTokensParser.parse(r.out()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String uuidOf(HostExecutor ex, String device) {
        ExecResult r = ex.run(io.cryptvol.domain.cmd.HostCommand.query("LUKS UUID of " + device, "cryptsetup", "luksUUID",
                device));
        String u = r.out().strip();
        return r.ok() && KmsToken.UUID.matcher(u).matches() ? u : null;
    }

    /** LUKS UUID → mapping, from the confs in /etc/cryptvol/unlock.d (file names are mapping names). */
    private static Map<String, String> confMappings(HostExecutor ex) {
        ExecResult r = ex.run(io.cryptvol.domain.cmd.HostCommand.query("Read the unattended unlock's settings", "sh", "-c",
                "for f in \"$1\"/*.conf; do [ -f \"$f\" ] || continue; n=${f##*/}; printf '%s %s\\n' \"${n%.conf}\""
                        + " \"$(sed -n 's/^LUKS_UUID=//p' \"$f\" | head -n 1)\"; done", "sh", UnlockUnit.CONF_DIR));
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : r.out().split("\n")) {
            String[] p = line.strip().split(" ");
            if (p.length == 2 && io.cryptvol.domain.plan.Inputs.mappingName(p[0]).isEmpty()
                    && KmsToken.UUID.matcher(p[1]).matches()) {
                m.put(p[1].toLowerCase(java.util.Locale.ROOT), p[0]);
            }
        }
        return m;
    }

    private static void refuseIf(PlanResult r) {
        if (r.isRefused()) {
            int n = r.refusals().size();
            throw new CryptvolException(n == 1 ? "refused: " + ControlChars.oneLine(r.refusals().get(0).line())
                    + "; nothing was changed" : "refused: " + String.join("; ", r.refusals().stream()
                    .map(x -> ControlChars.oneLine(x.line())).toList()) + "; nothing was changed", ExitCode.FAILED, null);
        }
    }
}
