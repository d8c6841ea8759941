package io.cryptvol.shell;

import io.cryptvol.aws.AwsSettings;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.AwsClients;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import io.cryptvol.snapshot.SnapshotTags;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** snapshots list / prune / delete / copy in the real shell, through the real SDK client, against the sandbox. */
class SnapshotShellTest {
    @TempDir
    Path home;
    @TempDir
    Path data;
    SandboxEc2Server server;
    /** The sandbox's clock: it moves only when the test moves it, so each set has its own start time. */
    final TickingClock ticking = new TickingClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));

    static final class TickingClock extends java.time.Clock {
        private volatile java.time.Instant now;

        TickingClock(java.time.Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }
    ShellHarness shell;
    AwsClients clients;
    EbsGateway ebs;

    @BeforeEach
    void start() throws Exception {
        server = SandboxEc2Server.builder().dataDir(data).timings(SandboxTimings.uniform(Duration.ofMillis(50)))
                .clock(ticking).build().start();
        clients = new AwsClients(AwsSettings.sandbox(server.endpoint()));
        ebs = new EbsGateway(clients, EbsOptions.sandbox());
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(), "cryptvol.aws.sandbox", "true",
                "cryptvol.ebs.poll-interval", "50ms"));
    }

    @AfterEach
    void stop() {
        shell.close();
        clients.close();
        server.close();
    }

    /** A set of {@code take} snapshots of {@code count} volumes (take &lt; count: incomplete), completed. */
    String set(String id, String vg, List<EbsVolume> vols, int take) throws InterruptedException {
        return set(id, vg, vols, take, Map.of());
    }

    String set(String id, String vg, List<EbsVolume> vols, int take, Map<String, String> extra) throws InterruptedException {
        Map<String, String> tags = new LinkedHashMap<>(extra);
        tags.put(SnapshotTags.SET, id);
        tags.put(SnapshotTags.COUNT, String.valueOf(vols.size()));
        tags.put(SnapshotTags.VG, vg);
        tags.put(SnapshotTags.LV, "mylv");
        tags.put(SnapshotTags.MOUNTPOINT, "/mnt/x");
        List<EbsSnapshot> snaps = ebs.snapshotVolumes(vols.subList(0, take).stream().map(EbsVolume::id).toList(),
                "test", tags, EbsProgress.NONE);
        for (int i = 0; i < snaps.size(); i++) {
            ebs.tag(List.of(snaps.get(i).id()), Map.of(SnapshotTags.INDEX, String.valueOf(i + 1)));
        }
        ebs.awaitSnapshots("us-east-1", snaps.stream().map(EbsSnapshot::id).toList(), EbsProgress.NONE);
        ticking.advance(Duration.ofMinutes(1)); // the next set starts later: newest first is well defined
        return id;
    }

    @Test
    void listMarksIncompleteSetsPruneKeepsTheNewestDeleteAsksCopyKeepsTags() throws Exception {
        List<EbsVolume> vols = ebs.createVolumes(2, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        String a = set("aaaa1111-0000-0000-0000-000000000001", "myvg", vols, 2);
        String b = set("bbbb2222-0000-0000-0000-000000000002", "myvg", vols, 1);
        String c = set("cccc3333-0000-0000-0000-000000000003", "myvg", vols, 2);

        String out = shell.type("snapshots list");
        assertThat(out).containsPattern(a + "\\s+\\S+\\s+myvg/mylv\\s+/mnt/x\\s+2/2\\s+2 GiB\\s+completed")
                .containsPattern(b + ".*1/2\\s+1 GiB\\s+INCOMPLETE: 1 of 2 snapshots")
                .containsPattern(c + ".*2/2.*completed");
        assertThat(out.indexOf(c)).isLessThan(out.indexOf(b)); // newest first
        assertThat(shell.type("snapshots list -o json")).contains("\"status\" : \"incomplete\"")
                .contains("\"problems\" : [ \"1 of 2 snapshots\" ]");

        out = shell.type("snapshots copy " + a.substring(0, 8) + " --region us-west-2");
        assertThat(out).contains("copied set " + a + " to us-west-2");
        try (AwsClients west = new AwsClients(AwsSettings.sandbox(server.endpoint()).withRegion("us-west-2"))) {
            List<EbsSnapshot> copies = new EbsGateway(west, EbsOptions.sandbox()).snapshotsWithTag(SnapshotTags.SET, a);
            assertThat(copies).hasSize(2).allSatisfy(s -> assertThat(s.tags()).containsEntry(SnapshotTags.COUNT, "2")
                    .containsEntry(SnapshotTags.VG, "myvg").containsKey(SnapshotTags.INDEX));
        }
        assertThat(shell.type("snapshots copy " + b.substring(0, 8) + " --region us-west-2"))
                .contains("error: set " + b + " is incomplete (1 of 2 snapshots): only completed sets are copied");

        out = shell.type("snapshots prune --keep 1 --dry-run");
        assertThat(out).contains("delete " + a).contains("delete " + b).doesNotContain("delete " + c)
                .contains("dry run: nothing was deleted");
        out = shell.type("snapshots prune --keep 1 --yes");
        assertThat(out).contains("pruned 2 sets; 1 left");
        out = shell.type("snapshots list");
        assertThat(out).contains(c).doesNotContain(a).doesNotContain(b);

        shell.keys("n\n");
        assertThat(shell.type("snapshots delete " + c)).contains("Cancelled; nothing was deleted.");
        assertThat(shell.type("snapshots delete " + c + " --yes")).contains("deleted set " + c + " (2 snapshots)");
        assertThat(shell.type("snapshots list")).contains("no snapshot sets in us-east-1");
        assertThat(shell.type("snapshots delete zzzz9999").strip()).isEqualTo("error: no snapshot set zzzz9999: see 'snapshots list'");
    }

    EbsGateway west() {
        return new EbsGateway(clients, EbsOptions.sandbox());
    }

    List<EbsSnapshot> inWest(String setId) {
        return ebs.findSnapshots("us-west-2", Map.of("tag:" + SnapshotTags.SET, List.of(setId)));
    }

    @Test
    void copyingASetTwiceMakesNoSecondCopyAndTheCopyReadsComplete() throws Exception {
        List<EbsVolume> vols = ebs.createVolumes(3, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        String a = set("aaaa1111-0000-0000-0000-000000000001", "myvg", vols, 3);

        String out = shell.type("snapshots copy " + a + " --region us-west-2");
        assertThat(out).contains("copied set " + a + " to us-west-2 (3/3: 3 copied now, 0 there already)");
        assertThat(server.faults().calls("CopySnapshot")).isEqualTo(3);
        List<EbsSnapshot> first = inWest(a);
        List<EbsSnapshot> sources = ebs.snapshotsWithTag(SnapshotTags.SET, a);
        assertThat(first).hasSize(3).allSatisfy(c -> assertThat(c.tags())
                .containsEntry(SnapshotTags.SOURCE_REGION, "us-east-1")
                .containsKey(SnapshotTags.SOURCE_SNAPSHOT));
        assertThat(first).extracting(c -> c.tag(SnapshotTags.SOURCE_SNAPSHOT))
                .containsExactlyInAnyOrderElementsOf(sources.stream().map(EbsSnapshot::id).toList());

        out = shell.type("snapshots copy " + a + " --region us-west-2");
        assertThat(out).contains("(3/3: 0 copied now, 3 there already)");
        assertThat(server.faults().calls("CopySnapshot")).as("no new CopySnapshot calls").isEqualTo(3);
        assertThat(inWest(a)).extracting(EbsSnapshot::id)
                .containsExactlyInAnyOrderElementsOf(first.stream().map(EbsSnapshot::id).toList());
        assertThat(shell.type("snapshots list --region us-west-2")).containsPattern(a + ".*3/3\\s+3 GiB\\s+completed");
    }

    @Test
    void anInterruptedCopyIsResumedCopyingOnlyTheRest() throws Exception {
        List<EbsVolume> vols = ebs.createVolumes(3, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        String a = set("aaaa1111-0000-0000-0000-000000000001", "myvg", vols, 3);
        // the first run copied member 2 only, then died: its copy carries the source tag, still pending
        EbsSnapshot member2 = ebs.snapshotsWithTag(SnapshotTags.SET, a).stream()
                .filter(x -> "2".equals(x.tag(SnapshotTags.INDEX))).findFirst().orElseThrow();
        List<EbsSnapshot> byHand = ebs.startCopies("us-east-1", List.of(member2.id()), "us-west-2", "by hand",
                id -> SnapshotTags.forCopy(member2, "us-east-1"), EbsProgress.NONE);
        assertThat(server.faults().calls("CopySnapshot")).isEqualTo(1);

        String out = shell.type("snapshots copy " + a.substring(0, 8) + " --region us-west-2");
        assertThat(out).contains("(3/3: 2 copied now, 1 there already)");
        assertThat(server.faults().calls("CopySnapshot")).as("only the two missing members").isEqualTo(3);
        List<EbsSnapshot> copies = inWest(a);
        assertThat(copies).hasSize(3).extracting(EbsSnapshot::id).contains(byHand.get(0).id());
        assertThat(copies).extracting(c -> c.tag(SnapshotTags.INDEX)).containsExactlyInAnyOrder("1", "2", "3");
        assertThat(shell.type("snapshots list --region us-west-2")).containsPattern(a + ".*3/3.*completed");
    }

    @Test
    void inADestinationRegionSetsOrderByWhenTheyWereTakenNotWhenCopied() throws Exception {
        List<EbsVolume> vols = ebs.createVolumes(2, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        String older = set("0100aaaa-0000-0000-0000-000000000001", "myvg", vols, 2,
                Map.of(SnapshotTags.TAKEN_AT, "2026-01-01T00:00:00Z"));
        String newer = set("0200bbbb-0000-0000-0000-000000000002", "myvg", vols, 2,
                Map.of(SnapshotTags.TAKEN_AT, "2026-01-01T00:01:00Z"));
        // the newer set first, then (a minute later on the sandbox's clock) the older one
        shell.type("snapshots copy " + newer + " --region us-west-2");
        ticking.advance(Duration.ofMinutes(1));
        shell.type("snapshots copy " + older + " --region us-west-2");
        assertThat(inWest(older)).allSatisfy(c -> assertThat(c.tags()).containsEntry(SnapshotTags.TAKEN_AT, "2026-01-01T00:00:00Z"));
        assertThat(inWest(older).get(0).started()).isAfter(inWest(newer).get(0).started());

        String list = shell.type("snapshots list --region us-west-2");
        assertThat(list.indexOf(newer)).as("newest taken first").isLessThan(list.indexOf(older));
        assertThat(list).containsPattern(newer + "\\s+2026-01-01T00:01:00Z\\s");
        String out = shell.type("snapshots prune --keep 1 --region us-west-2 --yes");
        assertThat(out).contains("delete " + older).doesNotContain("delete " + newer).contains("pruned 1 sets; 1 left");
        assertThat(inWest(older)).isEmpty();
        assertThat(inWest(newer)).hasSize(2);
        assertThat(ebs.snapshotsWithTag(SnapshotTags.SET, older)).as("the source region is untouched").hasSize(2);
    }

    @Test
    void restoreChecksEveryInputBeforeTheFirstChange() throws Exception {
        String instance = server.addInstance("us-east-1a", new io.cryptvol.sandbox.RecordingDiskHost());
        List<EbsVolume> vols = ebs.createVolumes(2, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        String a = set("aaaa1111-0000-0000-0000-000000000001", "myvg", vols, 2, Map.of(SnapshotTags.LUKS_UUID,
                "11111111-2222-3333-4444-555555555555", SnapshotTags.MAPPING, "myenc"));
        shell.type("use instance " + instance);
        shell.type("keys generate k1 k2");
        io.cryptvol.keys.KeyStore store = shell.bean(io.cryptvol.keys.KeyStore.class);
        store.recordEnrollment("k2", "99999999-2222-3333-4444-555555555555", 0, "othervg/lv");
        Path empty = java.nio.file.Files.createFile(home.resolve("empty.key"));
        int createsBefore = server.faults().calls("CreateVolume");

        // key missing | key recorded for another LUKS UUID | key file empty | a name in use on the host
        assertThat(shell.type("restore " + a + " --key nokey --yes").strip())
                .isEqualTo("error: no key nokey in the key store ('keys list'; or --key-file, --key-backup)");
        assertThat(shell.type("restore latest --key k2 --yes").strip())
                .isEqualTo("error: key k2 is recorded for LUKS UUID 99999999-2222-3333-4444-555555555555, not the set's "
                        + "11111111-2222-3333-4444-555555555555: give the key that opens it");
        assertThat(shell.type("restore " + a + " --key-file " + empty + " --yes").strip())
                .isEqualTo("error: " + empty + " is empty");
        store.recordEnrollment("k1", "11111111-2222-3333-4444-555555555555", 0, "myvg/mylv");
        assertThat(shell.type("restore " + a + " --key k2 --yes").strip())
                .isEqualTo("error: key k2 is not recorded for the set's LUKS UUID 11111111-2222-3333-4444-555555555555; "
                        + "recorded: k1 (--key NAME)");
        assertThat(shell.type("restore " + a + " --key k1 --mountpoint / --yes").strip())
                .isEqualTo("error: something is mounted at / already: give another --mountpoint");
        assertThat(server.faults().calls("CreateVolume")).as("no volume created").isEqualTo(createsBefore);
        assertThat(server.faults().calls("AttachVolume")).isZero();
    }

    @Test
    void restoredVolumesAreASetOfTheirOwnInVolumesList() throws Exception {
        List<EbsVolume> vols = ebs.createVolumes(2, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        String a = set("aaaa1111-0000-0000-0000-000000000001", "myvg", vols, 2, Map.of(SnapshotTags.MAPPING, "myenc"));
        ebs.deleteVolumes(vols.stream().map(EbsVolume::id).toList(), EbsProgress.NONE);
        io.cryptvol.snapshot.SnapshotSet s = io.cryptvol.snapshot.SnapshotSet.find(
                io.cryptvol.snapshot.SnapshotSet.group(ebs.snapshotsWithTag(SnapshotTags.SET, a)), a);
        io.cryptvol.snapshot.SnapshotService.RestorePlan p = io.cryptvol.snapshot.SnapshotPlanner.restore(s,
                new io.cryptvol.snapshot.SnapshotService.RestoreOptions(null, null, null, "k1", "gp3"),
                io.cryptvol.domain.model.HostState.empty(),
                new io.cryptvol.aws.InstanceInfo("i-1", "us-east-1a", "running", "/dev/xvda", List.of()),
                "luks-uuid", "bbbb2222-0000-0000-0000-000000000002");
        // the EC2 half of restore: the volumes exactly as restore makes them (the host half is SnapshotVmTest's)
        List<EbsVolume> made = ebs.createVolumes(io.cryptvol.snapshot.SnapshotPlanner.restoreVolumes(p), null, EbsProgress.NONE);
        assertThat(made).hasSize(2);

        String out = shell.type("volumes list");
        for (EbsVolume v : made) {
            int i = made.indexOf(v) + 1;
            assertThat(out).containsPattern(v.id() + ".*\\s+bbbb2222 " + i + "/2\\s+myvg");
        }
        String json = shell.type("volumes list -o json");
        assertThat(json).contains("\"set\" : \"bbbb2222-0000-0000-0000-000000000002\"");
        List<EbsVolume> tagged = ebs.volumesWithTag(io.cryptvol.aws.VolumeTags.SET, "bbbb2222-0000-0000-0000-000000000002");
        assertThat(tagged).hasSize(2).allSatisfy(v -> assertThat(v.tags()).containsEntry(SnapshotTags.SET, a)
                .containsEntry(io.cryptvol.aws.VolumeTags.COUNT, "2").containsEntry(io.cryptvol.aws.VolumeTags.VG, "myvg"));
    }

    /** The other multi-step commands that create EBS volumes check their key options before the first CreateVolume. */
    @Test
    void growAddAndProvisionNewVolumesCheckTheirKeysBeforeCreatingVolumes() throws Exception {
        String instance = server.addInstance("us-east-1a", new io.cryptvol.sandbox.RecordingDiskHost());
        shell.type("use instance " + instance);
        Path missing = home.resolve("no-such.key");
        assertThat(shell.type("grow --add 2 --size 1 --key-file " + missing + " --yes").strip())
                .isEqualTo("error: key file " + missing + " does not exist or cannot be read");
        assertThat(shell.type("grow --add 2 --size 1 --key-backup " + home.resolve("no-such-dir") + " --yes").strip())
                .startsWith("error: backup location ").endsWith("is not a directory (is the drive mounted?)");
        assertThat(shell.type("provision --new-volumes 2 --size 1 --vg newvg --lv lv --mapping newmap --mountpoint /mnt/new "
                + "--key nokey --yes").strip()).isEqualTo("error: unknown key 'nokey': see 'keys list'");
        // a name in use: VolumesVmTest (provision --new-volumes run again once its VG exists)
        assertThat(server.faults().calls("CreateVolume")).as("no volume created").isZero();
    }
}
