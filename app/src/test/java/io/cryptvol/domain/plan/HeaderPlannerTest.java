package io.cryptvol.domain.plan;

import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.Signature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.ProvisionStates.FORMAT;
import static io.cryptvol.domain.plan.ProvisionStates.LV;
import static io.cryptvol.domain.plan.ProvisionStates.LV_PATH;
import static io.cryptvol.domain.plan.ProvisionStates.OPEN;
import static io.cryptvol.domain.plan.ProvisionStates.after;
import static io.cryptvol.domain.plan.ProvisionStates.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Header backup and restore planning, and the backup step in every plan that changes a header. */
class HeaderPlannerTest {
    final HeaderPlanner p = new HeaderPlanner(() -> "tok9");

    @Test
    void theBackupStepWritesToTmpfsCopiesBackAndShredsInAFinally() {
        PlanStep s = p.backup(LV_PATH, after(FORMAT)).plan().steps().get(0);
        assertThat(s.kind()).isEqualTo(StepKind.HEADER_BACKUP);
        assertThat(s.commands()).extracting(c -> String.join(" ", c.command().argv())).containsExactly(
                "install -d -m 0700 /run/cryptvol",
                String.join(" ", io.cryptvol.domain.cmd.KeyFiles.tmpfsCheck().argv()),
                "cryptsetup luksHeaderBackup --batch-mode /dev/myvg/mylv --header-backup-file /run/cryptvol/tok9.hdr",
                "sh -c sha256sum < \"$1\" && base64 -w0 < \"$1\" sh /run/cryptvol/tok9.hdr");
        assertThat(s.cleanup()).extracting(c -> String.join(" ", c.command().argv()))
                .containsExactly("shred -u /run/cryptvol/tok9.hdr");
        assertThat(s.keys()).isEmpty();
    }

    @Test
    void provisionFormatAndAddKeyPlansEndTheirHeaderChangesWithABackup() {
        assertThat(new ProvisionPlanner(() -> "t0001").plan(spec(), after(LV)).plan().kinds())
                .containsSubsequence(StepKind.LUKS_FORMAT, StepKind.LUKS_ADD_KEY, StepKind.HEADER_BACKUP, StepKind.OPEN_MAPPING);
        assertThat(new StagePlanner(() -> "t0001").luksFormat(LV_PATH, "k1", spec().luks(), after(LV)).plan().kinds())
                .endsWith(StepKind.LUKS_FORMAT, StepKind.HEADER_BACKUP);
    }

    /**
     * Every plan that writes a LUKS header backs it up after the change, whatever the way in: table of the plans with a
     * header-changing step ({@link StepKind#changesLuksHeader}), each with the steps it must hold in that order.
     */
    static Stream<Arguments> headerChanges() {
        var stage = new StagePlanner(() -> "t0001");
        var provision = new ProvisionPlanner(() -> "t0001");
        HostState threeKeys = after(ProvisionStates.ADD_KEY);
        var kms = new UnlockPolicyPlanner(() -> "t0001");
        var withKms = UnlockPolicyPlannerTest.md(UnlockPolicyPlannerTest.kmsToken(2, UnlockPolicyPlannerTest.UUID),
                "\"0\":{},\"1\":{},\"2\":{}");
        return Stream.of(
                arguments("luks format", stage.luksFormat(LV_PATH, "k1", spec().luks(), after(LV)),
                        List.of(StepKind.LUKS_FORMAT, StepKind.HEADER_BACKUP)),
                arguments("luks add-key", stage.luksAddKey(LV_PATH, "data-key-1", "data-key-3", spec().luks(), threeKeys),
                        List.of(StepKind.LUKS_ADD_KEY, StepKind.HEADER_BACKUP)),
                arguments("provision, fresh", provision.plan(spec(), after(LV)),
                        List.of(StepKind.LUKS_FORMAT, StepKind.LUKS_ADD_KEY, StepKind.HEADER_BACKUP, StepKind.OPEN_MAPPING)),
                arguments("provision, resumed after the format", provision.plan(spec(), after(FORMAT)),
                        List.of(StepKind.LUKS_ADD_KEY, StepKind.HEADER_BACKUP, StepKind.OPEN_MAPPING)),
                arguments("restore of a snapshot set (a new UUID)", PlanResult.ok(io.cryptvol.snapshot.RestorePlanner.plan(
                        new io.cryptvol.snapshot.RestorePlanner.Spec("myvg", "mylv", "myvg_restore", true, List.of("/dev/nvme5n1"),
                                "0f0e0d0c-0b0a-4908-8706-050403020100", "rmap", "/mnt/r", "k1"))),
                        List.of(StepKind.IMPORT_CLONE, StepKind.NEW_LUKS_UUID, StepKind.HEADER_BACKUP, StepKind.OPEN_MAPPING)),
                // the unattended unlock (#18): a KMS slot and its token in, the token and its slot out, a slot wiped
                arguments("unlock policy kms", kms.enableKms(UnlockPolicyPlannerTest.req(LV_PATH, "data-key-1"),
                        UnlockPolicyPlannerTest.luks2(), new UnlockPolicyPlanner.Extra(UnlockPolicyPlannerTest.TWO_SLOTS, true,
                                false)), List.of(StepKind.LUKS_ADD_KEY, StepKind.TOKEN_IMPORT, StepKind.HEADER_BACKUP)),
                arguments("unlock policy remove", kms.removeKms(LV_PATH, "secure", UnlockPolicyPlannerTest.luks2(),
                        new UnlockPolicyPlanner.Extra(withKms, true, true)),
                        List.of(StepKind.TOKEN_REMOVE, StepKind.KILL_SLOT, StepKind.HEADER_BACKUP)),
                arguments("luks remove-key", kms.removeSlot(LV_PATH, 1, UnlockPolicyPlannerTest.luks2(), withKms),
                        List.of(StepKind.KILL_SLOT, StepKind.HEADER_BACKUP)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void headerChanges(String name, PlanResult r, List<StepKind> inOrder) {
        assertThat(r.refusals()).isEmpty();
        List<PlanStep> steps = r.plan().steps();
        assertThat(steps).anyMatch(s -> s.kind().changesLuksHeader());
        assertThat(r.plan().kinds()).containsSubsequence(inOrder);
        assertThat(HeaderPlanner.unbackedChanges(steps)).isEmpty();
        // the backup is of the device whose header changed
        String changed = HeaderPlanner.headerDevice(steps.stream().filter(s -> s.kind().changesLuksHeader()).findFirst()
                .orElseThrow()).orElseThrow();
        assertThat(steps.stream().filter(s -> s.kind() == StepKind.HEADER_BACKUP).map(HeaderPlanner::headerDevice))
                .containsExactly(java.util.Optional.of(changed));
    }

    /**
     * The gap of an interrupted run: the header change is done, its backup is not. A re-run sees the change done and
     * plans no change; when the live header has no matching backup ({@code HostState.unbackedHeaders}, from comparing
     * UUID and keyslot digests with the newest backup) the plan still takes one, and only then.
     */
    static Stream<Arguments> resumedWithoutBackup() {
        var stage = new StagePlanner(() -> "t0001");
        var provision = new ProvisionPlanner(() -> "t0001");
        HostState keysIn = after(ProvisionStates.ADD_KEY).withKeyCheck(LV_PATH, "data-key-3", true);
        return Stream.of(
                arguments("provision, both keys in, no backup", provision.plan(spec(), after(ProvisionStates.ADD_KEY)
                        .withUnbackedHeader("LUKSUUID")), List.of(StepKind.LOAD_MODULES, StepKind.HEADER_BACKUP,
                        StepKind.OPEN_MAPPING)),
                arguments("provision, both keys in, backed up", provision.plan(spec(), after(ProvisionStates.ADD_KEY)),
                        List.of(StepKind.LOAD_MODULES, StepKind.OPEN_MAPPING)),
                arguments("provision, open, no backup", provision.plan(spec(), after(ProvisionStates.MOUNTED)
                        .withUnbackedHeader("luksuuid")), List.of(StepKind.HEADER_BACKUP)),
                arguments("provision, open, backed up", provision.plan(spec(), after(ProvisionStates.MOUNTED)), List.of()),
                arguments("provision, another UUID unbacked", provision.plan(spec(), after(ProvisionStates.ADD_KEY)
                        .withUnbackedHeader("0f0e0d0c-0b0a-4908-8706-050403020100")),
                        List.of(StepKind.LOAD_MODULES, StepKind.OPEN_MAPPING)),
                arguments("add-key, the key in, no backup", stage.luksAddKey(LV_PATH, "data-key-1", "data-key-3",
                        spec().luks(), keysIn.withUnbackedHeader("luksuuid")), List.of(StepKind.HEADER_BACKUP)),
                arguments("add-key, the key in, backed up", stage.luksAddKey(LV_PATH, "data-key-1", "data-key-3",
                        spec().luks(), keysIn), List.of()),
                arguments("add-key, the key not in, no backup", stage.luksAddKey(LV_PATH, "data-key-1", "data-key-3",
                        spec().luks(), after(ProvisionStates.ADD_KEY).withUnbackedHeader("luksuuid")),
                        List.of(StepKind.LUKS_ADD_KEY, StepKind.HEADER_BACKUP)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void resumedWithoutBackup(String name, PlanResult r, List<StepKind> kinds) {
        assertThat(r.refusals()).isEmpty();
        assertThat(r.plan().kinds()).containsExactlyElementsOf(kinds);
        assertThat(HeaderPlanner.unbackedChanges(r.plan().steps())).isEmpty();
        assertThat(r.plan().steps().stream().filter(s -> s.kind() == StepKind.HEADER_BACKUP).map(HeaderPlanner::headerDevice))
                .allMatch(d -> d.equals(java.util.Optional.of(LV_PATH)));
    }

    /** The check itself: a change with no backup after it, or a backup only before it, or of another device, is named. */
    @Test
    void aHeaderChangeWithoutABackupAfterItIsNamed() {
        PlanStep format = PlanStep.withKey(StepKind.LUKS_FORMAT, io.cryptvol.domain.cmd.Cryptsetup.luksFormat(LV_PATH,
                spec().luks()), KeyRef.named("k1"));
        PlanStep uuid = PlanStep.of(StepKind.NEW_LUKS_UUID, io.cryptvol.domain.cmd.Cryptsetup.luksUuid("/dev/b/lv", "u"));
        assertThat(HeaderPlanner.unbackedChanges(List.of(format))).containsExactly(LV_PATH);
        assertThat(HeaderPlanner.unbackedChanges(List.of(HeaderPlanner.backupStep(LV_PATH), format))).containsExactly(LV_PATH);
        assertThat(HeaderPlanner.unbackedChanges(List.of(format, HeaderPlanner.backupStep("/dev/b/lv")))).containsExactly(LV_PATH);
        assertThat(HeaderPlanner.unbackedChanges(List.of(format, uuid, HeaderPlanner.backupStep(LV_PATH))))
                .containsExactly("/dev/b/lv");
        assertThat(HeaderPlanner.unbackedChanges(List.of(format, HeaderPlanner.backupStep(LV_PATH)))).isEmpty();
    }

    static Stream<Arguments> backups() {
        return Stream.of(
                arguments("a LUKS LV", after(FORMAT), null),
                arguments("an LV without LUKS", after(LV), "/dev/myvg/mylv: holds no LUKS header: nothing to back up"),
                arguments("an LV with ext4", after(LV).withSignature(Signature.of(LV_PATH, "ext4")),
                        "/dev/myvg/mylv: holds no LUKS header (it holds ext4): nothing to back up"),
                arguments("key dir on ext4", after(FORMAT).withKeyDirFs("ext4"),
                        "/run/cryptvol: is on ext4, not tmpfs: refusing to write a key file there (mount a tmpfs on /run first)"));
    }

    @ParameterizedTest(name = "backup of {0}")
    @MethodSource
    void backups(String name, HostState h, String refusal) {
        PlanResult r = p.backup(LV_PATH, h);
        if (refusal == null) {
            assertThat(r.plan().kinds()).containsExactly(StepKind.HEADER_BACKUP);
        } else {
            assertThat(r.refusals()).extracting(Refusal::line).containsExactly(refusal);
        }
        assertThat(p.backup("/dev/nope", h).refusals()).extracting(Refusal::line)
                .contains("/dev/nope: no such block device on the host");
    }

    static Stream<Arguments> restores() {
        return Stream.of(
                arguments("the same UUID", after(FORMAT), "luksuuid", false, null),
                arguments("another UUID", after(FORMAT), "otheruuid", false, "/dev/myvg/mylv: has LUKS UUID luksuuid, "
                        + "the backup is of otheruuid: refusing to restore another volume's header (--force to do it anyway)"),
                arguments("another UUID, forced", after(FORMAT), "otheruuid", true, null),
                arguments("an open volume", after(OPEN), "luksuuid", true, "/dev/myvg/mylv: is open as /dev/mapper/secure; "
                        + "close it before restoring its header"),
                arguments("a damaged header", after(LV), "luksuuid", false, null),
                arguments("a file system", after(LV).withSignature(Signature.of(LV_PATH, "xfs")), "luksuuid", false,
                        "/dev/myvg/mylv: holds xfs, not a LUKS volume: refusing to write a LUKS header over it (--force to do it anyway)"),
                arguments("a file system, forced", after(LV).withSignature(Signature.of(LV_PATH, "xfs")), "luksuuid", true, null));
    }

    @ParameterizedTest(name = "restore onto {0}")
    @MethodSource
    void restores(String name, HostState h, String backupUuid, boolean force, String refusal) {
        byte[] header = new byte[]{1, 2, 3};
        String sha = "ab".repeat(32);
        PlanResult r = p.restore(LV_PATH, header, sha, backupUuid, LV_PATH, force, h);
        if (refusal == null) {
            PlanStep s = r.plan().steps().get(0);
            assertThat(s.kind()).isEqualTo(StepKind.HEADER_RESTORE);
            assertThat(s.commands()).extracting(c -> c.command().argv().get(0)).containsExactly(
                    "install", "sh", "sh", "sh", "cryptsetup");
            assertThat(s.commands().get(2).command().stdinSecret()).isTrue(); // header bytes never shown or logged
            assertThat(s.commands().get(2).command().commandLine()).endsWith("< [secret on stdin]");
            assertThat(s.commands().get(3).command().argv()).contains(sha);
            assertThat(s.command().argv()).containsExactly("cryptsetup", "luksHeaderRestore", "--batch-mode", LV_PATH,
                    "--header-backup-file", "/run/cryptvol/tok9.hdr");
            assertThat(s.cleanup()).extracting(c -> String.join(" ", c.command().argv()))
                    .containsExactly("shred -u /run/cryptvol/tok9.hdr");
        } else {
            assertThat(r.refusals()).extracting(Refusal::line).containsExactly(refusal);
        }
    }

    @Test
    void aDamagedHeaderTakenFromAnotherDeviceNeedsForce() {
        assertThat(HeaderPlanner.restoreChecks(LV_PATH, "u", "/dev/other/lv", false, after(LV))).extracting(Refusal::line)
                .containsExactly("/dev/myvg/mylv: has no readable LUKS header and the backup was taken from /dev/other/lv: "
                        + "refusing (--force to restore it here anyway)");
        assertThat(HeaderPlanner.restoreChecks(LV_PATH, "u", "/dev/other/lv", true, after(LV))).isEmpty();
        assertThat(HeaderPlanner.restoreChecks(LV_PATH, "u", null, false, after(LV))).isEmpty();
    }
}
