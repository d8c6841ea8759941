package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.UnlockUnit;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.KmsToken;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.parse.LuksTokensParser;
import io.cryptvol.domain.plan.UnlockPolicyPlanner.Extra;
import io.cryptvol.domain.plan.UnlockPolicyPlanner.KmsRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.ProvisionStates.ADD_KEY;
import static io.cryptvol.domain.plan.ProvisionStates.LV;
import static io.cryptvol.domain.plan.ProvisionStates.LV_PATH;
import static io.cryptvol.domain.plan.ProvisionStates.after;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Unlock policy planning (#18): enable, remove, and the last slot that is not the KMS slot, table-driven. */
class UnlockPolicyPlannerTest {
    static final String UUID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
    static final String ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    final UnlockPolicyPlanner p = new UnlockPolicyPlanner(() -> "tok7");

    /** Two key slots (data-key-1, data-key-2), LUKS2 with a real UUID. */
    static HostState luks2() {
        return after(ADD_KEY).withLuks(new LuksHeader(LV_PATH, 2, UUID, "aes-xts-plain64", 512, "sha256", "argon2id",
                List.of(0, 1), 16 << 20));
    }

    static LuksTokensParser.Metadata md(String tokens, String slots) {
        return LuksTokensParser.parse("{\"keyslots\":{" + slots + "},\"tokens\":{" + tokens + "}}");
    }

    static final LuksTokensParser.Metadata TWO_SLOTS = md("", "\"0\":{},\"1\":{}");

    static String kmsToken(int slot, String uuid) {
        return "\"0\":{\"type\":\"cryptvol-kms\",\"keyslots\":[\"" + slot + "\"],\"kms_key_id\":\"" + ARN
                + "\",\"kms_region\":\"us-east-1\",\"kms_ciphertext\":\"Q1ZLMQ==\",\"kms_context\":{\"luks_uuid\":\""
                + uuid + "\",\"vg\":\"myvg\"}}";
    }

    static KmsRequest req(String device, String key) {
        return new KmsRequest(device, "secure", key, ARN, "us-east-1", "Q0lQSEVSVEVYVA==");
    }

    static Stream<Arguments> refusals() {
        HostState luks1 = luks2().withLuks(new LuksHeader(LV_PATH, 1, UUID, "aes-cbc-essiv:sha256", 256, "ripemd160",
                "pbkdf2", List.of(0, 1), 4096 * 512));
        return Stream.of(
                arguments("a LUKS1 header", luks1, TWO_SLOTS, true, LV_PATH, "data-key-1",
                        "/dev/myvg/mylv: is LUKS1: an unlock policy needs a LUKS2 header (its token); the guided unlock stays"),
                arguments("no LUKS at all", after(LV), null, true, LV_PATH, "data-key-1", "/dev/myvg/mylv: holds no LUKS header"),
                arguments("no such device", luks2(), TWO_SLOTS, true, "/dev/nope", "data-key-1",
                        "/dev/nope: no such block device on the host"),
                arguments("a hostile device path", luks2(), TWO_SLOTS, true, "/dev/$(reboot)", "data-key-1", "/dev/$(reboot)"),
                arguments("no AWS CLI", luks2(), TWO_SLOTS, false, LV_PATH, "data-key-1",
                        "aws: the AWS CLI is not on the instance: the boot needs it to call KMS (install it: apt-get install"
                                + " awscli, or AWS CLI v2)"),
                arguments("a key that does not open it", luks2().withKeyCheck(LV_PATH, "data-key-3", false), TWO_SLOTS, true,
                        LV_PATH, "data-key-3", "/dev/myvg/mylv: key 'data-key-3' does not open it"),
                arguments("a token made for another UUID", luks2(), md(kmsToken(2, "aaaaaaaa-4b5a-4968-8776-a5b4c3d2e1f0"),
                        "\"0\":{},\"1\":{},\"2\":{}"), true, LV_PATH, "data-key-1", "made for LUKS UUID aaaaaaaa"));
    }

    @ParameterizedTest(name = "refuses {0}")
    @MethodSource
    void refusals(String name, HostState h, LuksTokensParser.Metadata md, boolean cli, String device, String key, String line) {
        PlanResult r = p.enableKms(req(device, key), h, new Extra(md, cli, false));
        assertThat(r.isRefused()).as(name).isTrue();
        assertThat(r.refusals()).extracting(Refusal::line).anySatisfy(l -> assertThat(l).contains(line));
    }

    @Test
    void enablingEnrolsTheDataKeyFromTmpfsStoresTheTokenInstallsTheUnitAndBacksUpTheHeader() {
        Plan plan = p.enableKms(req(LV_PATH, "data-key-1"), luks2(), new Extra(TWO_SLOTS, true, false)).plan();
        assertThat(plan.kinds()).containsExactly(StepKind.LUKS_ADD_KEY, StepKind.TOKEN_IMPORT, StepKind.UNIT_INSTALL,
                StepKind.HEADER_BACKUP);
        PlanStep enrol = plan.steps().get(0);
        assertThat(enrol.commands()).extracting(c -> String.join(" ", c.command().argv())).contains(
                "cryptsetup luksAddKey --batch-mode --key-slot 2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000"
                        + " --key-file - /dev/myvg/mylv /run/cryptvol/tok7.key");
        assertThat(enrol.keys()).extracting(KeyRef::name).containsExactly(UnlockPolicyPlanner.DATA_KEY, "data-key-1");
        assertThat(enrol.cleanup()).extracting(c -> String.join(" ", c.command().argv()))
                .containsExactly("shred -u /run/cryptvol/tok7.key");
        // no key bytes anywhere in the plan: the data key is a reference; the token holds only the wrapped key
        plan.steps().forEach(s -> s.commands().forEach(c -> assertThat(c.command().stdinSecret()).isFalse()));
        var imp = plan.steps().get(1).command();
        assertThat(imp.argv()).containsExactly("cryptsetup", "token", "import", "--token-id", "0", "--json-file", "-", LV_PATH);
        assertThat(new String(imp.stdin(), StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"cryptvol-kms\",\"keyslots\":[\"2\"],"
                + "\"kms_key_id\":\"" + ARN + "\",\"kms_region\":\"us-east-1\",\"kms_ciphertext\":\"Q0lQSEVSVEVYVA==\","
                + "\"kms_context\":{\"luks_uuid\":\"" + UUID + "\",\"vg\":\"myvg\"}}");
        assertThat(plan.steps().get(2).commands()).extracting(c -> String.join(" ", c.command().argv())).anySatisfy(
                a -> assertThat(a).endsWith("sh " + UnlockUnit.SCRIPT + " 0755")).anySatisfy(
                a -> assertThat(a).endsWith("sh " + UnlockUnit.TEMPLATE + " 0644")).anySatisfy(
                a -> assertThat(a).endsWith("sh /etc/cryptvol/unlock.d/secure.conf 0644")).anySatisfy(
                a -> assertThat(a).isEqualTo("systemctl enable --quiet cryptvol-unlock@secure.service"));
    }

    @Test
    void aHeaderThatHasThePolicyOnlyNeedsTheUnitAndOnceThereNothing() {
        LuksTokensParser.Metadata withToken = md(kmsToken(2, UUID), "\"0\":{},\"1\":{},\"2\":{}");
        assertThat(p.enableKms(req(LV_PATH, null), luks2(), new Extra(withToken, true, false)).plan().kinds())
                .containsExactly(StepKind.UNIT_INSTALL);
        assertThat(p.enableKms(req(LV_PATH, null), luks2(), new Extra(withToken, true, true)).plan().isEmpty()).isTrue();
        KmsRequest other = new KmsRequest(LV_PATH, "secure", "data-key-1", ARN.replace("1234abcd", "99999999"), "us-east-1", null);
        assertThat(p.enableKms(other, luks2(), new Extra(withToken, true, true)).refusals()).extracting(Refusal::line)
                .containsExactly("/dev/myvg/mylv: has a KMS policy with key " + ARN + " already: 'unlock policy remove'"
                        + " first to change the key");
    }

    static Stream<Arguments> removals() {
        return Stream.of(
                arguments("KMS in slot 2, two others", md(kmsToken(2, UUID), "\"0\":{},\"1\":{},\"2\":{}"), null,
                        List.of(StepKind.UNIT_REMOVE, StepKind.TOKEN_REMOVE, StepKind.KILL_SLOT, StepKind.HEADER_BACKUP)),
                arguments("KMS is the only slot", md(kmsToken(0, UUID), "\"0\":{}"),
                        "/dev/myvg/mylv: has no key slot besides the KMS slot [0]: add a store key or a recovery passphrase"
                                + " first (luks add-key)", null),
                arguments("no policy", TWO_SLOTS, null, List.of()));
    }

    @ParameterizedTest(name = "policy remove: {0}")
    @MethodSource
    void removals(String name, LuksTokensParser.Metadata md, String refusal, List<StepKind> kinds) {
        PlanResult r = p.removeKms(LV_PATH, "secure", luks2(), new Extra(md, true, false));
        if (refusal != null) {
            assertThat(r.refusals()).extracting(Refusal::line).containsExactly(refusal);
        } else {
            assertThat(r.plan().kinds()).containsExactlyElementsOf(kinds);
        }
    }

    static Stream<Arguments> slotRemovals() {
        LuksTokensParser.Metadata kms2 = md(kmsToken(2, UUID), "\"0\":{},\"1\":{},\"2\":{}");
        LuksTokensParser.Metadata kms1 = md(kmsToken(1, UUID), "\"0\":{},\"1\":{}");
        return Stream.of(
                arguments("another slot while two others remain", kms2, 1, null),
                arguments("the only other slot", kms1, 0, "/dev/myvg/mylv: key slot 0 is the last one that is not the KMS"
                        + " slot: a store key or a recovery passphrase must remain"),
                arguments("the KMS slot", kms2, 2, "/dev/myvg/mylv: key slot 2 is the KMS unlock policy's: use 'unlock"
                        + " policy remove'"),
                arguments("a slot that is not there", kms2, 5, "/dev/myvg/mylv: has no key slot 5 (slots [0, 1, 2])"),
                arguments("the last slot, no policy", md("", "\"0\":{}"), 0, "/dev/myvg/mylv: key slot 0 is the last one"
                        + " that is not the KMS slot: a store key or a recovery passphrase must remain"),
                arguments("one of two, no policy", TWO_SLOTS, 0, null));
    }

    @ParameterizedTest(name = "luks remove-key: {0}")
    @MethodSource
    void slotRemovals(String name, LuksTokensParser.Metadata md, int slot, String refusal) {
        PlanResult r = p.removeSlot(LV_PATH, slot, luks2(), md);
        if (refusal != null) {
            assertThat(r.refusals()).extracting(Refusal::line).containsExactly(refusal);
        } else {
            assertThat(r.plan().kinds()).containsExactly(StepKind.KILL_SLOT, StepKind.HEADER_BACKUP);
            assertThat(r.plan().steps().get(0).command().argv())
                    .containsExactly("cryptsetup", "luksKillSlot", "--batch-mode", LV_PATH, String.valueOf(slot));
        }
    }

    static Stream<Arguments> hostileTokens() {
        return Stream.of(
                arguments("key id with a command", "\"kms_key_id\":\"$(reboot)\"", "its KMS key id is not a KMS key ARN"),
                arguments("region with a quote", "\"kms_region\":\"us-east-1'\"", "its region is not an AWS region name"),
                arguments("ciphertext with a newline", "\"kms_ciphertext\":\"Q1ZL\\nMQ==\"", "its ciphertext is not base64"));
    }

    @ParameterizedTest(name = "a token with {0} is not used")
    @MethodSource
    void hostileTokens(String name, String field, String problem) {
        String t = kmsToken(2, UUID);
        String key = field.substring(0, field.indexOf(':'));
        t = t.replaceFirst(java.util.regex.Pattern.quote(key) + ":\"[^\"]*\"", java.util.regex.Matcher.quoteReplacement(field));
        KmsToken k = md(t, "\"0\":{},\"1\":{},\"2\":{}").kmsTokens().get(0);
        assertThat(k.problem(UUID)).isEqualTo(problem);
    }
}
