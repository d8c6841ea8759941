package io.cryptvol.shell;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.exec.TestSshServer;
import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code doctor --all} through the shell: the estate is what the sandbox's EC2 says (the real SDK Ec2Client against
 * the sandbox endpoint): four instances with a cryptvol-tagged EBS volume attached each. The session is connected
 * over SSH to the first (a real MINA SSH server on 127.0.0.1); the second answers at its EC2 address 127.0.0.2 (a
 * second real SSH server, the same port, the same client key); nobody listens at the third's address; the fourth's
 * address is hostile. One section per instance and a summary table; the unreachable and the hostile ones are FAIL
 * lines with their reason, never run, never a stack trace; exit 1; {@code --output json} is an array per instance.
 */
class DoctorAllShellTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path home;
    @TempDir
    static Path work;
    static SandboxEc2Server server;
    static TestSshServer sshA;
    static TestSshServer sshB;
    static ShellHarness shell;
    static String a, b, c, d;
    static Path identity;
    static String volA;

    static String vg(String instance) {
        return "vg" + instance.substring(2, 8);
    }
    static Path knownHosts;

    @BeforeAll
    static void start() throws Exception {
        server = SandboxEc2Server.builder().dataDir(work.resolve("ec2"))
                .timings(io.cryptvol.sandbox.ec2.SandboxTimings.uniform(java.time.Duration.ofMillis(50))).build().start();
        a = server.addInstance("us-east-1a", new RecordingDiskHost());
        b = server.addInstance("us-east-1a", new RecordingDiskHost());
        c = server.addInstance("us-east-1a", new RecordingDiskHost());
        d = server.addInstance("us-east-1a", new RecordingDiskHost());
        sshA = new TestSshServer();
        sshB = new TestSshServer("127.0.0.2", sshA.port(), sshA);
        server.instanceAddress(a, "127.0.0.1");
        server.instanceAddress(b, "127.0.0.2");
        server.instanceAddress(c, "127.0.0.3");
        server.instanceAddress(d, "$(touch " + work.resolve("pwned") + ")");
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .build()) {
            for (String i : List.of(a, b, c, d)) {
                // a's volume is a whole set of one (its VG's members check is ok); the others carry the VG tag only
                List<Tag> tags = new ArrayList<>(List.of(Tag.builder().key("cryptvol:vg").value(vg(i)).build()));
                if (i.equals(a)) {
                    tags.addAll(List.of(Tag.builder().key("cryptvol:set").value("set-a").build(),
                            Tag.builder().key("cryptvol:index").value("1").build(),
                            Tag.builder().key("cryptvol:count").value("1").build()));
                }
                String vol = ec2.createVolume(x -> x.size(1).volumeType("gp3").availabilityZone("us-east-1a")
                        .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(tags).build()))
                        .volumeId();
                if (i.equals(a)) {
                    volA = vol;
                }
                io.cryptvol.sandbox.ec2.Ec2Seen.volume(ec2, vol); // EC2 may not know a new volume for a moment
                ec2.waiter().waitUntilVolumeAvailable(x -> x.volumeIds(vol));
                ec2.attachVolume(x -> x.volumeId(vol).instanceId(i).device("/dev/sdf"));
                ec2.waiter().waitUntilVolumeInUse(x -> x.volumeIds(vol));
            }
        }
        identity = sshA.writeClientKey(work);
        knownHosts = work.resolve("known_hosts");
        Files.writeString(knownHosts, sshA.knownHostsLine(sshA.hostKey) + "\n" + sshB.knownHostsLine(sshB.hostKey) + "\n");
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(),
                "cryptvol.aws.sandbox", "true", "cryptvol.aws.region", "us-east-1", "cryptvol.aws.imds", "false"));
        assertThat(shell.type("connect root@127.0.0.1:" + sshA.port() + " --identity " + identity + " --known-hosts "
                + knownHosts)).contains("connected");
        assertThat(shell.type("use instance " + a)).contains("using instance " + a);
    }

    @AfterAll
    static void stop() throws Exception {
        if (shell != null) {
            shell.close();
        }
        for (AutoCloseable x : new AutoCloseable[]{sshA, sshB, server}) {
            if (x != null) {
                x.close();
            }
        }
    }

    /** The lines of one instance's section, from its "== i-…" header to the next. */
    static List<String> section(String out, String instance) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String l : out.lines().toList()) {
            if (l.startsWith("== ")) {
                in = l.startsWith("== " + instance + " ");
            } else if (in) {
                lines.add(l);
            }
        }
        return lines;
    }

    @Test
    void everyInstanceGetsASectionTheUnreachableOnesAFailLineAndTheExitSaysSo() throws Exception {
        String out = shell.type("doctor --all --max-concurrency 2");
        assertThat(out).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out).contains("Instances reached over SSH as root, port " + sshA.port() + ", identity " + identity
                + ", known_hosts " + knownHosts + " (unknown host keys refused), at each instance's address in EC2; " + a
                + " through the session's connection (root@127.0.0.1:" + sshA.port() + ")");
        // the session's instance and the second host: the checklist, run on each host
        for (String i : List.of(a, b)) {
            List<String> s = section(out, i);
            assertThat(s).as(out).anyMatch(l -> l.matches("^(ok|warn|FAIL|skipped)\\s+nvme\\.io-timeout\\s.*"))
                    .anyMatch(l -> l.matches("^(ok|warn|FAIL|skipped)\\s+keys\\.ledger\\s.*"))
                    .noneMatch(l -> l.contains("host.reachable"));
        }
        assertThat(out).contains("== " + a + " (root@127.0.0.1:" + sshA.port() + ")")
                .contains("== " + b + " (root@127.0.0.2:" + sshA.port() + ")");
        assertThat(sshB.commandLines).as("the second host ran the checklist's queries").isNotEmpty();
        // nobody at the third's address: one FAIL line with the reason and a fix
        List<String> sc = section(out, c);
        assertThat(sc.stream().filter(l -> l.startsWith("FAIL ")).toList()).as(out).singleElement()
                .satisfies(l -> assertThat(l).contains("host.reachable").contains("cannot be reached at root@127.0.0.3:"
                        + sshA.port()));
        assertThat(sc).anyMatch(l -> l.startsWith("        fix: connect root@127.0.0.3:" + sshA.port()));
        // the hostile address: refused before use, shown escaped, nothing run
        List<String> sd = section(out, d);
        assertThat(sd.stream().filter(l -> l.startsWith("FAIL ")).toList()).as(out).singleElement()
                .satisfies(l -> assertThat(l).contains("host.reachable").contains("is not an IP address or a DNS name; not used"));
        assertThat(work.resolve("pwned")).doesNotExist();
        // the summary: one row per instance with its counts
        List<String> summary = out.lines().dropWhile(l -> !l.contains("== summary")).toList();
        assertThat(summary.get(1)).containsPattern("INSTANCE\\s+VIA\\s+OK\\s+WARN\\s+FAIL\\s+SKIPPED");
        assertThat(summary).anyMatch(l -> l.matches(c + "\\s+-\\s+0\\s+0\\s+1\\s+0\\s*") || l.matches(c + "\\s+root@127\\.0\\.0\\.3:\\d+\\s+0\\s+0\\s+1\\s+0\\s*"))
                .anyMatch(l -> l.matches(d + "\\s+-\\s+0\\s+0\\s+1\\s+0\\s*"))
                .anyMatch(l -> l.startsWith(a + " ")).anyMatch(l -> l.startsWith(b + " "));
        // exit non-zero, one error line naming the failed instances
        List<String> errors = out.lines().filter(l -> l.startsWith("error:")).toList();
        assertThat(errors).as(out).singleElement().satisfies(l -> assertThat(l).startsWith("error: doctor --all: ")
                .contains(c).contains(d).contains("of 4 instances failed"));
    }

    @Test
    void jsonIsAnArrayWithOneObjectPerInstance() throws Exception {
        String out = shell.type("doctor --all -o json");
        String json = out.lines().filter(l -> !l.startsWith("error:")).reduce("", (x, y) -> x + y + "\n");
        JsonNode j = JSON.readTree(json);
        assertThat(j.isArray()).isTrue();
        assertThat(j).hasSize(4);
        List<String> ids = new ArrayList<>();
        j.forEach(x -> {
            ids.add(x.path("instance").asText());
            assertThat(x.fieldNames()).toIterable().containsExactly("instance", "via", "target", "ok", "counts", "checks");
        });
        assertThat(ids).containsExactlyElementsOf(new java.util.TreeSet<>(List.of(a, b, c, d)));
        JsonNode third = j.get(ids.indexOf(c));
        assertThat(third.path("ok").asBoolean()).isFalse();
        assertThat(third.path("checks").get(0).path("id").asText()).isEqualTo("host.reachable");
        assertThat(j.get(ids.indexOf(b)).path("via").asText()).isEqualTo("root@127.0.0.2:" + sshA.port());
        assertThat(out.lines().filter(l -> l.startsWith("error:")).toList()).singleElement();
    }

    static Ec2Client ec2() {
        return Ec2Client.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret"))).build();
    }

    /** A volume's tags as EC2 (the sandbox, through the real SDK) gives them. */
    static Map<String, String> tagsOf(String volume) {
        try (Ec2Client ec2 = ec2()) {
            Map<String, String> out = new java.util.LinkedHashMap<>();
            ec2.describeVolumes(x -> x.volumeIds(volume)).volumes().get(0).tags().forEach(t -> out.put(t.key(), t.value()));
            return out;
        }
    }

    /** The checks of one instance in {@code doctor --all -o json}, by id. */
    static Map<String, JsonNode> checksOf(String instance) throws Exception {
        String out = shell.type("doctor --all -o json");
        JsonNode j = JSON.readTree(out.lines().filter(l -> !l.startsWith("error:")).reduce("", (x, y) -> x + y + "\n"));
        Map<String, JsonNode> by = new java.util.LinkedHashMap<>();
        for (JsonNode x : j) {
            if (x.path("instance").asText().equals(instance)) {
                x.path("checks").forEach(ch -> by.put(ch.path("id").asText(), ch));
            }
        }
        return by;
    }

    /**
     * The copy policy on a VG's volumes (tags, through the real SDK against the sandbox), seen by {@code doctor --all}:
     * no copy in the policy's region is a FAIL whose fix is the {@code snapshots copy} command; after that command
     * (CopySnapshot, served by the sandbox) the check is ok. The policy's max age rules when --max-age is not given.
     */
    @Test
    void aCopyPolicyIsTaggedOnTheVgsVolumesAndDoctorChecksItsCopies() throws Exception {
        String va = vg(a);
        assertThat(shell.type("snapshots policy set --vg " + va + " --copy-to us-west-2 --max-age 2d --dry-run"))
                .contains("Would tag 1 volumes of VG " + va + " (" + volA + "): copies to us-west-2; newest complete set "
                        + "at most 2d old").contains("dry run: nothing was tagged");
        assertThat(tagsOf(volA)).doesNotContainKey("cryptvol:copy-to");
        assertThat(shell.type("snapshots policy set --vg " + va + " --copy-to us-west-2 --max-age 2d"))
                .contains("VG " + va + ": copies to us-west-2; newest complete set at most 2d old (tagged on 1 volumes: "
                        + volA + ")").doesNotContain("error:");
        assertThat(tagsOf(volA)).containsEntry("cryptvol:copy-to", "us-west-2").containsEntry("cryptvol:copy-max-age", "2d");
        assertThat(shell.type("snapshots policy show")).containsPattern(va + "\\s+1\\s+us-west-2\\s+2d")
                .containsPattern(vg(b) + "\\s+1\\s+\\(none\\)\\s+-");
        JsonNode shown = JSON.readTree(shell.type("snapshots policy show --vg " + va + " -o json"));
        assertThat(shown.get(0).path("copyTo").get(0).asText()).isEqualTo("us-west-2");
        assertThat(shown.get(0).path("maxAge").asText()).isEqualTo("2d");

        // no set yet: the copy check fails (nothing to copy); then a complete set of one, taken an hour ago
        assertThat(checksOf(a).get("snapshots.copies").path("status").asText()).isEqualTo("fail");
        String set = "0f0e0d0c-0b0a-4908-8706-050403020101";
        try (Ec2Client ec2 = ec2()) {
            String snap = ec2.createSnapshot(x -> x.volumeId(volA).tagSpecifications(TagSpecification.builder()
                    .resourceType(ResourceType.SNAPSHOT).tags(Tag.builder().key("cryptvol:snapshot-set").value(set).build(),
                            Tag.builder().key("cryptvol:index").value("1").build(),
                            Tag.builder().key("cryptvol:count").value("1").build(),
                            Tag.builder().key("cryptvol:vg").value(va).build(),
                            Tag.builder().key("cryptvol:taken-at").value(java.time.Instant.now()
                                    .minus(java.time.Duration.ofHours(1)).toString()).build()).build())).snapshotId();
            io.cryptvol.sandbox.ec2.Ec2Seen.snapshot(ec2, snap);
            ec2.waiter().waitUntilSnapshotCompleted(x -> x.snapshotIds(snap));
        }
        Map<String, JsonNode> before = checksOf(a);
        assertThat(before.get("snapshots.recent").path("status").asText()).isEqualTo("ok");
        assertThat(before.get("vg.members").path("status").asText()).isEqualTo("ok");
        JsonNode copies = before.get("snapshots.copies");
        assertThat(copies.path("status").asText()).as(copies.toString()).isEqualTo("fail");
        assertThat(copies.path("message").asText()).contains("newest complete set " + set + " has no completed copy in "
                + "us-west-2 (none)");
        String fix = copies.path("fix").asText();
        assertThat(fix).isEqualTo("snapshots copy " + set + " --region us-west-2");

        // the policy's max age (2d) rules without --max-age; --max-age 30m overrides it
        assertThat(shell.type("doctor --all --max-age 30m -o json")).contains("older than --max-age 30 min");

        // the fix, as doctor gave it: then the copy is there, completed, and the check is ok
        assertThat(shell.type(fix)).contains("copied set " + set + " to us-west-2").doesNotContain("error:");
        JsonNode after = checksOf(a).get("snapshots.copies");
        assertThat(after.path("status").asText()).as(after.toString()).isEqualTo("ok");
        assertThat(after.path("message").asText()).isEqualTo("newest complete set " + set
                + " has a completed copy in us-west-2, as the policy says");

        // a policy whose tags were changed by hand to something hostile: unreadable, a FAIL, not used
        try (Ec2Client ec2 = ec2()) {
            ec2.createTags(x -> x.resources(volA).tags(Tag.builder().key("cryptvol:copy-to").value("us-west-2;$(reboot)").build()));
        }
        JsonNode hostile = checksOf(a).get("snapshots.copies");
        assertThat(hostile.path("status").asText()).isEqualTo("fail");
        assertThat(hostile.path("message").asText()).contains("copy policy unreadable").contains("is not an AWS region");

        // remove: the tags go; a second remove says there is none
        assertThat(shell.type("snapshots policy remove --vg " + va)).contains("VG " + va + ": copy policy removed");
        assertThat(tagsOf(volA)).doesNotContainKeys("cryptvol:copy-to", "cryptvol:copy-max-age");
        assertThat(shell.type("snapshots policy remove --vg " + va)).contains("has no copy policy: nothing to remove");
        assertThat(checksOf(a).get("snapshots.copies").path("message").asText()).startsWith("no copy policy");
    }

    @Test
    void badPolicyInputIsOneLineEach() throws Exception {
        Map<String, String> rows = new java.util.LinkedHashMap<>();
        rows.put("snapshots policy set --vg " + vg(a) + " --copy-to eu-west-1,$(reboot)", "--copy-to: '$(reboot)' is not an AWS region");
        rows.put("snapshots policy set --vg " + vg(a) + " --copy-to eu-west-1,eu-west-1", "--copy-to: region eu-west-1 is given twice");
        rows.put("snapshots policy set --vg " + vg(a) + " --copy-to us-east-1", "--copy-to us-east-1 is the region the sets are in");
        rows.put("snapshots policy set --vg " + vg(a) + " --copy-to eu-west-1 --max-age 1y", "--max-age: '1y' is not an age");
        rows.put("snapshots policy set --vg nosuchvg --copy-to eu-west-1", "no EBS volume of VG nosuchvg is known in us-east-1");
        rows.put("snapshots policy set --vg 'a;b' --copy-to eu-west-1", "a;b");
        for (Map.Entry<String, String> r : rows.entrySet()) {
            String out = shell.type(r.getKey());
            assertThat(out.lines().filter(l -> l.startsWith("error:")).toList()).as(r.getKey() + "\n" + out).singleElement()
                    .satisfies(l -> assertThat(l).contains(r.getValue()));
            assertThat(out).doesNotContain("Exception");
        }
    }

    @Test
    void badConcurrencyIsOneLine() throws Exception {
        String out = shell.type("doctor --all --max-concurrency 0");
        assertThat(out.lines().filter(l -> l.startsWith("error:")).toList()).singleElement()
                .satisfies(l -> assertThat(l).contains("--max-concurrency must be 1 to 64, not 0"));
    }
}
