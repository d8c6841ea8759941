package io.cryptvol.shell;

import io.cryptvol.aws.AwsSettings;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.Ec2Clients;
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
    Ec2Clients clients;
    EbsGateway ebs;

    @BeforeEach
    void start() throws Exception {
        server = SandboxEc2Server.builder().dataDir(data).timings(SandboxTimings.uniform(Duration.ofMillis(50)))
                .clock(ticking).build().start();
        clients = new Ec2Clients(AwsSettings.sandbox(server.endpoint()));
        ebs = new EbsGateway(clients, EbsOptions.sandbox());
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(),
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
        Map<String, String> tags = new LinkedHashMap<>();
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
        try (Ec2Clients west = new Ec2Clients(AwsSettings.sandbox(server.endpoint()).withRegion("us-west-2"))) {
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
}
