package io.cryptvol.shell;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The output contract of one-command mode, and where the files go, as a user sees them: a separate JVM
 * started with a bare environment (HOME of its own, no CRYPTVOL_HOME unless the test sets it), stdout and
 * stderr captured apart, no terminal.
 */
class OutputContractCliTest {
    @TempDir
    Path home;

    CliRun cryptvol(Map<String, String> extraEnv, String... args) throws Exception {
        return CliRun.cryptvol(home, extraEnv, args);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /**
     * Issue 17 item 8: with the endpoint down, {@code volumes list -o json} leaves stdout empty (so `| jq`
     * is not fooled), says one line on stderr and exits non-zero. Issue 17 item 13: the files live under
     * $HOME (not the passwd entry's home); issue 14 item 12: the state directory that existed as 0755 is
     * tightened to 0700, and the log is 0600 with no stack trace.
     */
    @Test
    void anEc2FailureIsOneLineOnStderrNothingOnStdoutAndFilesLiveUnderHome() throws Exception {
        Path state = Files.createDirectories(home.resolve(".local/state/cryptvol"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path history = Files.writeString(state.resolve("history"), "");
        Files.setPosixFilePermissions(history, PosixFilePermissions.fromString("rw-r--r--"));

        CliRun r = cryptvol(Map.of("CRYPTVOL_EC2_SANDBOX", "1"), "--endpoint", "http://127.0.0.1:1", "volumes", "list", "-o", "json");

        assertThat(r.exitCode()).as(r.toString()).isNotZero();
        assertThat(r.stdout()).as(r.toString()).isEmpty();
        assertThat(r.stderr().lines().toList()).as(r.toString()).hasSize(1);
        assertThat(r.stderr()).startsWith("error: cannot reach EC2").doesNotContain("\tat ").doesNotContain("Exception");

        assertThat(mode(state)).isEqualTo("rwx------");
        Path log = state.resolve("cryptvol.log");
        assertThat(log).exists();
        assertThat(mode(log)).isEqualTo("rw-------");
        assertThat(Files.readString(log)).doesNotContain("\tat ").doesNotContain("Application run failed");
        assertThat(mode(history)).isEqualTo("rw-------");
    }

    /** Parser errors and unknown commands: one uncoloured line on stderr (off a terminal, no NO_COLOR), exit 2. */
    @Test
    void usageErrorsAreOnePlainLineOnStderrWithExit2() throws Exception {
        for (String[] args : List.of(new String[]{"volumes", "list", "--bogus"}, new String[]{"nosuchcommand"},
                new String[]{"keys", "backup"})) {
            CliRun r = cryptvol(Map.of(), args);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
            assertThat(r.stdout()).as(r.toString()).isEmpty();
            assertThat(r.stderr().lines().toList()).as(r.toString()).hasSize(1);
            assertThat(r.stderr()).as(r.toString()).startsWith("error: ").doesNotContain("\u001b");
        }
    }

    /** XDG_STATE_HOME and XDG_CONFIG_HOME win over $HOME; nothing lands in $HOME then. */
    @Test
    void xdgDirectoriesAreHonoured() throws Exception {
        Path xdgState = home.resolve("xs");
        Path xdgConfig = home.resolve("xc");
        CliRun r = cryptvol(Map.of("XDG_STATE_HOME", xdgState.toString(), "XDG_CONFIG_HOME", xdgConfig.toString()),
                "keys", "generate", "k1");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(xdgState.resolve("cryptvol/cryptvol.log")).exists();
        assertThat(xdgConfig.resolve("cryptvol/keys")).isDirectory();
        assertThat(home.resolve(".local")).doesNotExist();
        assertThat(home.resolve(".config")).doesNotExist();
    }

    /**
     * --debug: the stack trace goes to stderr (and to the log); the log rolls over at its size cap, and every
     * file of it is 0600.
     */
    @Test
    void debugShowsTheStackTraceAndTheLogRollsOverPrivately() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("CRYPTVOL_LOG_MAX_SIZE", "1KB", "CRYPTVOL_LOG_KEEP", "2", "CRYPTVOL_EC2_SANDBOX", "1"));
        CliRun r = null;
        for (int i = 0; i < 4; i++) {
            r = cryptvol(env, "--debug", "--endpoint", "http://127.0.0.1:1", "volumes", "list");
            assertThat(r.exitCode()).as(r.toString()).isNotZero();
            assertThat(r.stdout()).as(r.toString()).isEmpty();
        }
        assertThat(r.stderr()).startsWith("error: cannot reach EC2").contains("\tat ");
        Path state = home.resolve(".local/state/cryptvol");
        List<Path> logs;
        try (Stream<Path> s = Files.list(state)) {
            logs = s.filter(p -> p.getFileName().toString().startsWith("cryptvol.log")).sorted().toList();
        }
        assertThat(logs).extracting(p -> p.getFileName().toString())
                .containsExactly("cryptvol.log", "cryptvol.log.1", "cryptvol.log.2");
        for (Path p : logs) {
            assertThat(mode(p)).as(p.toString()).isEqualTo("rw-------");
        }
        assertThat(Files.readString(state.resolve("cryptvol.log.1"))).contains("\tat ");
    }

    /**
     * Issue 14 item 8: after chmod 644 on a key and 755 on the key directory, `keys list` warns (stderr) and
     * `keys verify` fails; `keys verify --fix` repairs both; `keys verify` is then ok.
     */
    @Test
    void keysVerifyReportsLoosePermissionsAndFixRepairsThem() throws Exception {
        Map<String, String> env = Map.of("CRYPTVOL_HOME", home.resolve("cv").toString());
        CliRun r = cryptvol(env, "keys", "generate", "k1");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        Path dir = home.resolve("cv/config/keys");
        Path key = dir.resolve("k1.key");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));

        r = cryptvol(env, "keys", "list");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("k1").doesNotContain("warning:");
        assertThat(r.stderr()).contains("warning: the key directory has mode 0755, should be 0700")
                .contains("warning: key 'k1': the key file has mode 0644, should be 0600");

        r = cryptvol(env, "keys", "verify");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.stdout()).contains("LOOSE: the key directory has mode 0755").contains("LOOSE: the key file has mode 0644");
        assertThat(r.stderr().lines().filter(l -> l.startsWith("error:")).toList()).as(r.toString())
                .containsExactly("error: 2 loose permission(s) in the key store " + dir + ": repair with 'keys verify --fix'");
        assertThat(mode(key)).isEqualTo("rw-r--r--"); // verify alone changes nothing

        r = cryptvol(env, "keys", "verify", "--fix");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("fixed: the key file has mode 0644, should be 0600; mode set to 0600")
                .contains("2 permission(s) repaired");
        assertThat(mode(key)).isEqualTo("rw-------");
        assertThat(mode(dir)).isEqualTo("rwx------");

        r = cryptvol(env, "keys", "verify");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).doesNotContain("LOOSE").contains("all 1 copies verified");
    }

    /**
     * Progress is not the result: the per-volume lines of `volumes create` go to stderr in one-command mode,
     * through the real SDK client against the sandbox endpoint.
     */
    @Test
    void progressLinesGoToStderr(@TempDir Path data) throws Exception {
        try (io.cryptvol.sandbox.ec2.SandboxEc2Server server = io.cryptvol.sandbox.ec2.SandboxEc2Server.builder()
                .dataDir(data).build().start()) {
            String instance = server.addInstance("us-east-1a", new io.cryptvol.sandbox.RecordingDiskHost());
            Map<String, String> env = Map.of("CRYPTVOL_HOME", home.resolve("cv").toString(),
                    "CRYPTVOL_EC2_ENDPOINT", server.endpoint().toString(), "CRYPTVOL_EC2_SANDBOX", "1");
            CliRun r = cryptvol(env, "use", "instance", instance);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            r = cryptvol(env, "volumes", "create", "--count", "2", "--size", "1", "--no-attach", "--yes"); // no device to wait for here
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stderr()).as(r.toString()).containsPattern("\\[1/2\\] vol-\\w+\\s+(requested|creating|attach)");
            assertThat(r.stdout()).as(r.toString()).doesNotContain("[1/2]").doesNotContain("[2/2]")
                    .doesNotContain("Create 2 EBS volumes").doesNotContain("device names:"); // the plan shown before a run
            assertThat(r.stderr()).as(r.toString()).contains("Create 2 EBS volumes in us-east-1a (not attached)");
            assertThat(r.stdout()).as("the result").containsPattern("vol-\\w+");

            r = cryptvol(env, "volumes", "create", "--count", "1", "--size", "1", "--dry-run"); // the plan is the answer
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout()).as(r.toString()).contains("Create 1 EBS volume and attach").contains("dry run: nothing was changed");
            assertThat(r.stderr()).as(r.toString()).isEmpty();
        }
    }

    /**
     * Issue 17 item 13: with HOME set to a directory of its own and the passwd entry's home elsewhere (read-only,
     * as user.home), every file cryptvol writes (key store, context, inventory, log, history) appears under HOME,
     * none in the passwd home.
     */
    @Test
    void everyFileLandsUnderHomeNotInThePasswdEntrysHome(@TempDir Path data) throws Exception {
        Path passwdHome = Files.createDirectories(home.resolve("passwd"));
        Path x = Files.createDirectories(home.resolve("x"));
        Files.setPosixFilePermissions(passwdHome, PosixFilePermissions.fromString("r-x------"));
        try (io.cryptvol.sandbox.ec2.SandboxEc2Server server = io.cryptvol.sandbox.ec2.SandboxEc2Server.builder()
                .dataDir(data).build().start()) {
            String instance = server.addInstance("us-east-1a", new io.cryptvol.sandbox.RecordingDiskHost());
            Map<String, String> env = Map.of("HOME", x.toString(), "JAVA_TOOL_OPTIONS", "-Duser.home=" + passwdHome,
                    "CRYPTVOL_EC2_ENDPOINT", server.endpoint().toString(), "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret");
            for (String[] args : List.of(new String[]{"use", "instance", instance}, new String[]{"keys", "generate", "k1"},
                    new String[]{"use", "vg", "myvg"}, new String[]{"volumes", "list", "-o", "json"},
                    new String[]{"sandbox", "status"})) {
                CliRun r = cryptvol(env, args);
                assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r).isZero();
            }
        } finally {
            Files.setPosixFilePermissions(passwdHome, PosixFilePermissions.fromString("rwx------"));
        }
        try (Stream<Path> s = Files.list(passwdHome)) {
            assertThat(s.toList()).as("nothing in the passwd entry's home").isEmpty();
        }
        assertThat(x.resolve(".config/cryptvol/keys/k1.key")).isRegularFile();
        assertThat(x.resolve(".config/cryptvol/context.json")).isRegularFile();
        assertThat(Files.readString(x.resolve(".config/cryptvol/context.json"))).contains("myvg");
        assertThat(x.resolve(".local/state/cryptvol/cryptvol.log")).isRegularFile();
        assertThat(x.resolve(".local/state/cryptvol/history")).isRegularFile();
        try (Stream<Path> s = Files.list(x)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsOnly(".config", ".local");
        }
    }

    enum Out { EMPTY, JSON }

    record Row(String what, Map<String, String> env, List<String> args, int exit, Out stdout, String stderrLine) {
    }

    /**
     * Issue 17 items 7 and 8, the output contract as a table: (command, environment) → exit code, stdout (nothing,
     * or JSON and nothing else), stderr (exactly one line starting so, or nothing). AWS keys are in the
     * environment except where their absence is the point; stdout and stderr are read apart.
     */
    @Test
    void theOutputContractTable(@TempDir Path data) throws Exception {
        Map<String, String> keys = Map.of("AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret",
                "AWS_REGION", "us-east-1", "CRYPTVOL_HOME", home.resolve("cv").toString());
        Map<String, String> noKeys = Map.of("AWS_REGION", "us-east-1", "AWS_EC2_METADATA_DISABLED", "true",
                "AWS_CONFIG_FILE", home.resolve("no/config").toString(),
                "AWS_SHARED_CREDENTIALS_FILE", home.resolve("no/credentials").toString(),
                "CRYPTVOL_HOME", home.resolve("cv").toString());
        try (io.cryptvol.sandbox.ec2.SandboxEc2Server server = io.cryptvol.sandbox.ec2.SandboxEc2Server.builder()
                .dataDir(data).build().start()) {
            String instance = server.addInstance("us-east-1a", new io.cryptvol.sandbox.RecordingDiskHost());
            Map<String, String> sandbox = new HashMap<>(keys);
            sandbox.put("CRYPTVOL_EC2_ENDPOINT", server.endpoint().toString());
            List<Row> rows = List.of(
                    new Row("an unknown command", keys, List.of("nosuchcommand"), 2, Out.EMPTY,
                            "error: No command found for 'nosuchcommand'"),
                    new Row("a bad option", keys, List.of("volumes", "list", "--bogus"), 2, Out.EMPTY,
                            "error: Unrecognised option '--bogus'"),
                    new Row("a missing argument", keys, List.of("keys", "backup"), 2, Out.EMPTY, "error: "),
                    new Row("the endpoint down", keys, List.of("--endpoint", "http://127.0.0.1:1", "volumes", "list", "-o", "json"),
                            1, Out.EMPTY, "error: cannot reach EC2 for DescribeVolumes: "),
                    new Row("no credentials anywhere", noKeys,
                            List.of("--endpoint", "http://192.0.2.1:9", "volumes", "list", "-o", "json"), 1, Out.EMPTY,
                            "error: no AWS credentials for ec2:DescribeVolumes — set AWS_PROFILE to a profile with credentials,"
                                    + " or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run 'aws configure';"
                                    + " on an EC2 instance, attach an instance role"),
                    new Row("select the instance", sandbox, List.of("use", "instance", instance), 0, null, null),
                    new Row("volumes list -o json", sandbox, List.of("volumes", "list", "-o", "json"), 0, Out.JSON, null));
            for (Row row : rows) {
                CliRun r = cryptvol(row.env(), row.args().toArray(String[]::new));
                String as = row.what() + ": " + r;
                assertThat(r.exitCode()).as(as).isEqualTo(row.exit());
                if (row.stdout() == Out.EMPTY) {
                    assertThat(r.stdout()).as(as).isEmpty();
                } else if (row.stdout() == Out.JSON) {
                    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout()).isArray()).as(as).isTrue();
                }
                if (row.stderrLine() != null) {
                    assertThat(r.stderr().lines().toList()).as(as).hasSize(1);
                    assertThat(r.stderr()).as(as).startsWith(row.stderrLine()).doesNotContain("\tat ")
                            .doesNotContain("Exception").doesNotContain("\u001b");
                } else if (row.stdout() == Out.JSON) {
                    assertThat(r.stderr()).as(as).isEmpty();
                }
            }
        }
    }

    /**
     * Issue 17 item 8: a host plan is the result of a dry run (stdout, nothing on stderr, exit 0); before a run it
     * is progress: without --yes and without a terminal, the plan goes to stderr before the one error line (exit 2)
     * and stdout stays empty.
     */
    @Test
    void aPlanIsTheResultOfADryRunAndProgressBeforeARun() throws Exception {
        Map<String, String> env = Map.of("CRYPTVOL_HOME", home.resolve("cv").toString(), "NO_COLOR", "1");
        CliRun dry = cryptvol(env, "modules", "load", "--dry-run");
        assertThat(dry.exitCode()).as(dry.toString()).isZero();
        assertThat(dry.stdout()).as(dry.toString()).startsWith("Load the kernel modules").contains("1. ")
                .contains("dry run: nothing was changed");
        assertThat(dry.stderr()).as(dry.toString()).isEmpty();

        CliRun asked = cryptvol(env, "modules", "load");
        assertThat(asked.exitCode()).as(asked.toString()).isEqualTo(2);
        assertThat(asked.stdout()).as(asked.toString()).isEmpty();
        List<String> err = asked.stderr().lines().toList();
        assertThat(err.get(0)).as(asked.toString()).startsWith("Load the kernel modules");
        assertThat(err.get(err.size() - 1)).as(asked.toString()).startsWith("error: not changing anything without confirmation");
        assertThat(err.stream().filter(l -> l.startsWith("error:"))).as(asked.toString()).hasSize(1);
    }
}
