package io.cryptvol.shell;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.host.HostObserver;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.keys.LeakScan;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SSM as a transport on the sandbox, for real: two test instances (real kernels in qemu), each managed by the
 * sandbox's SSM service, whose agent runs every Run Command script as root in its instance; the product talks to it
 * through the real SDK {@code SsmClient}.
 * Outputs go through S3 ({@code --output-s3}, the sandbox's private bucket): the agent uploads each invocation's
 * output there, and a LUKS2 header backup (16 MiB) comes back in one invocation instead of ~960 chunk reads.
 * <ol>
 *   <li>{@code connect ssm:i-… --output-s3 …}, then {@code provision} through SSM; a leak scan of everything SSM
 *       kept (its history with every parameter and what it keeps of every output, the output objects in S3, the
 *       agent's orchestration directory on the guest) and of the session's files: no key bytes; nothing left on the
 *       guest's tmpfs. (The SSM-vs-SSH figures are {@code bench/VmBench}'s "ssm" part, not timed here.)</li>
 *   <li>{@code fleet replay provision.cvsh --targets tag:Name=db-*} across both instances, in a cryptvol process of its
 *       own (exit code and streams as a user sees them), with one failure forced on the first: its devices are in use.
 *       The summary, exit 1, and the other host finished.</li>
 * </ol>
 */
@Tag("vm")
@org.junit.jupiter.api.extension.ExtendWith(io.cryptvol.testvm.VmClassTimer.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SsmVmTest {
    @TempDir
    static Path home;
    @TempDir
    static Path work;
    static ShellHarness shell;
    static String a;
    static String b;
    /** The second instance boots while the first one provisions through SSM. */
    static java.util.concurrent.CompletableFuture<String> second;
    static final String OUTPUT = "s3://" + io.cryptvol.sandbox.s3.SandboxS3Service.SANDBOX_BUCKET + "/ssm-output/";

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("cryptvol.root", Path.of("").toAbsolutePath().toString());
        shell = new ShellHarness(home, Map.of());
        assertThat(shell.type("sandbox start")).contains("sandbox instance i-");
        a = sandbox().status().instanceId();
        long t0 = System.nanoTime();
        second = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            String id = sandbox().addInstance();
            System.out.printf("[ssm-vm] second instance %s booted in %.1f s (beside the first test)%n", id, (System.nanoTime() - t0) / 1e9);
            return id;
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (second != null) {
            try {
                second.get(5, TimeUnit.MINUTES);
            } catch (Exception e) {
                // the second instance did not boot: the sandbox stops anyway
            }
        }
        if (shell != null) {
            shell.type("sandbox stop");
            shell.close();
        }
    }

    static Sandbox sandbox() {
        return shell.bean(Sandbox.class);
    }

    static String ok(String line) throws Exception {
        long t0 = System.nanoTime();
        String out = shell.type(line);
        System.out.printf("[ssm-vm] %.1f s  %s%n", (System.nanoTime() - t0) / 1e9, line.length() > 110 ? line.substring(0, 110) + "…" : line);
        assertThat(out).as(line).doesNotContain("error:").doesNotContain("Exception");
        return out;
    }

    static HostExecutor executor() {
        return shell.bean(HostAccess.class).executor();
    }

    @Test
    @Order(1)
    void provisionThroughSsmAndNoKeyBytesInAnythingSsmKept() throws Exception {
        assertThat(ok("connect ssm:" + a + " --output-s3 " + OUTPUT)).contains("connected to ssm:" + a);
        int before = sandbox().ssm().commandCount();
        ok("keys generate sk1 sk2");
        String out = ok("provision --new-volumes 2 --size 1 --vg svg --lv svglv --mapping svgmap --mountpoint /mnt/svg"
                + " --key sk1 --key2 sk2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --yes");
        assertThat(out).doesNotContain("refused");
        int invocations = sandbox().ssm().commandCount() - before;
        System.out.printf("[ssm-vm] provision: %d Run Command invocations%n", invocations);
        HostState h = new HostObserver(executor()).observe(HostObserver.Scope.of(List.of("/dev/mapper/svgmap"), List.of()), null);
        assertThat(h.mountAt("/mnt/svg")).as("mounted through " + executor().target()).isPresent();
        assertThat(h.lv("svg", "svglv").orElseThrow().stripes()).isEqualTo(2);
        // the header backup came back through S3: a few dozen invocations, not ~960 chunk reads
        assertThat(invocations).as("Run Command invocations of the provision").isLessThan(150);
        var s3 = sandbox().s3();
        List<String> objects = s3.keys(io.cryptvol.sandbox.s3.SandboxS3Service.SANDBOX_BUCKET).stream()
                .filter(k -> k.startsWith("ssm-output/")).toList();
        assertThat(objects).anyMatch(k -> k.matches("ssm-output/[0-9a-f-]{36}/" + a + "/awsrunShellScript/0\\.awsrunShellScript/stdout"));
        assertThat(objects.stream().mapToInt(k -> s3.object(io.cryptvol.sandbox.s3.SandboxS3Service.SANDBOX_BUCKET, k)
                .orElseThrow().body().length).max().orElse(0)).as("the header backup's output object").isGreaterThan(16 << 20);

        // what SSM kept: its history (every command's parameters, what it keeps of every output) ...
        List<Path> files = new ArrayList<>();
        files.add(Files.writeString(work.resolve("ssm-history.json"), sandbox().ssm().history()));
        files.add(sandbox().dataDir().resolve("ssm/history.json"));
        assertThat(Files.readString(files.get(0))).contains("luksFormat").contains("openssl pkeyutl -decrypt");
        // ... the outputs in S3 (the sandbox S3's files: each object's bytes) ...
        try (Stream<Path> walk = Files.walk(sandbox().dataDir().resolve("s3"))) {
            walk.filter(Files::isRegularFile).forEach(files::add);
        }
        assertThat(files.stream().filter(f -> f.toString().contains("/s3/objects/")).count())
                .as("the object files are scanned").isGreaterThanOrEqualTo(objects.size());
        // ... and what its agent left on the guest; and nothing of the key transfer on the guest's tmpfs
        ExecResult kept = executor().run(HostCommand.query("SSM agent files", "sh", "-c",
                "find /var/lib/amazon/ssm -type f -exec cat {} +"));
        assertThat(kept.stdout().length).isGreaterThan(10_000);
        files.add(Files.write(work.resolve("guest-ssm-files"), kept.stdout()));
        ExecResult tmp = executor().run(HostCommand.query("leftovers", "sh", "-c",
                "ls -d /run/cryptvol-ssm.* /dev/shm/cryptvol-ssm.* 2>/dev/null | wc -l"));
        assertThat(tmp.out().strip()).as("one-time key pairs, key files and outputs are gone (1: this look's own)").isEqualTo("1");
        // and the session's own files (transcript, log, context, ledger ...), as for every transport
        Path store = shell.bean(KeyStore.class).dir().toAbsolutePath();
        try (Stream<Path> walk = Files.walk(home)) {
            walk.filter(Files::isRegularFile).filter(f -> !f.toAbsolutePath().startsWith(store))
                    .filter(f -> !f.toString().contains("/sandbox/") || f.toString().endsWith("history.json"))
                    .forEach(files::add);
        }
        KeyStore keys = shell.bean(KeyStore.class);
        LeakScan.assertNoLeak(List.of(keys.read("sk1"), keys.read("sk2")), files);
    }

    @Test
    @Order(2)
    void fleetReplayAcrossBothInstancesWithOneForcedFailure() throws Exception {
        // b gets two fresh volumes; a's devices are PVs of svg already: provision refuses there
        b = second.get(5, TimeUnit.MINUTES);
        ok("connect ssm:" + b + " --output-s3 " + OUTPUT);
        ok("volumes create --count 2 --size 1 --yes");
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(sandbox().status().ec2Endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret"))).build()) {
            ec2.createTags(r -> r.resources(a).tags(t -> t.key("Name").value("db-1")));
            ec2.createTags(r -> r.resources(b).tags(t -> t.key("Name").value("db-2")));
        }
        Path script = Files.writeString(work.resolve("provision.cvsh"), String.join("\n",
                "set devices=/dev/nvme0n1,/dev/nvme1n1",
                "connect ${target}",
                "modules load",
                "keys generate fk1 fk2",
                "provision --devices ${devices} --vg fvg --lv flv --mapping fmap --mountpoint /mnt/f \\",
                "    --key fk1 --key2 fk2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000",
                ""));
        String[] run = run(work.resolve("fleet-home"), "fleet", "replay", script.toString(), "--targets", "tag:Name=db-*",
                "--max-concurrency", "2", "--max-errors", "1", "--yes");
        String out = run[1];
        String err = run[2];
        System.out.println("[ssm-vm] fleet exit " + run[0] + "\n" + out + err);
        assertThat(run[0]).isEqualTo("1");
        assertThat(out).containsPattern(a + "\\s+FAILED\\s+[\\d.]+ s\\s+" + java.util.regex.Pattern.quote(script + ":5"))
                .containsPattern(b + "\\s+ok\\s+");
        assertThat(err.lines().filter(l -> l.startsWith("error:")).toList())
                .containsExactly("error: 1 of 2 hosts failed (see WHERE and the logs); the others finished");
        ok("connect ssm:" + b + " --output-s3 " + OUTPUT);
        HostState h = new HostObserver(executor()).observe(HostObserver.Scope.of(List.of("/dev/mapper/fmap"), List.of()), null);
        assertThat(h.mountAt("/mnt/f")).as("the other host finished").isPresent();
        Path log = Files.list(work.resolve("fleet-home/state/fleet")).findFirst().orElseThrow().resolve(a + ".log");
        assertThat(Files.readString(log)).contains("replay stopped at " + script + ":5");
    }

    /** cryptvol in a process of its own, pointed at the sandbox's endpoint: exit code, stdout, stderr. */
    static String[] run(Path cryptvolHome, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", VolumeCliTest.productClasspath(), "-Dcryptvol.root=" + Path.of("").toAbsolutePath(), "io.cryptvol.CryptvolApplication"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", home.toString());
        env.put("LANG", "C.UTF-8");
        env.put("CRYPTVOL_HOME", cryptvolHome.toString());
        env.put("CRYPTVOL_EC2_ENDPOINT", sandbox().status().ec2Endpoint().toString());
        env.put("CRYPTVOL_EC2_SANDBOX", "1");
        env.put(Target.OUTPUT_S3_ENV, OUTPUT); // every host's replay reads its outputs from S3
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("cryptvol " + String.join(" ", args) + " did not finish in 10 min");
        }
        return new String[]{String.valueOf(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8)};
    }
}
