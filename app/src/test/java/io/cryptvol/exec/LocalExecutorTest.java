package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalExecutorTest {
    @TempDir
    Path dir;

    private final LocalExecutor local = new LocalExecutor(Duration.ofSeconds(30), "sudo", true);

    @Test
    void returnsExitCodeStdoutAndStderr() {
        ExecResult r = local.run(HostCommand.of("fail", "sh", "-c", "echo out; echo err >&2; exit 3"));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("out\n");
        assertThat(r.err()).isEqualTo("err\n");
        assertThat(local.run(HostCommand.of("ok", "true")).ok()).isTrue();
    }

    @Test
    void conversationTalksToARunningProcess() {
        try (Conversation talk = local.converse(HostCommand.of("talk", "sh", "-c", "echo ready; read -r x; echo \"got $x\"; exit 4"))) {
            assertThat(talk.readLine(Duration.ofSeconds(10))).isEqualTo("ready");
            talk.send("a b");
            assertThat(talk.readLine(Duration.ofSeconds(10))).isEqualTo("got a b");
            assertThat(talk.finish(Duration.ofSeconds(10)).exitCode()).isEqualTo(4);
        }
        Conversation stuck = local.converse(HostCommand.of("stuck", "sh", "-c", "trap '' HUP; sleep 30"));
        long t0 = System.nanoTime();
        stuck.close(); // end of input does not end sleep: killed after the grace period
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(15);
    }

    @Test
    void passesArgvWithoutAShell() {
        ExecResult r = local.run(HostCommand.of("printf", "printf", "%s|", "a b", "$HOME", "*", "'q'"));
        assertThat(r.out()).isEqualTo("a b|$HOME|*|'q'|");
    }

    @Test
    void writesStdinThenClosesIt() throws Exception {
        byte[] secret = new byte[1 << 20];
        new SecureRandom().nextBytes(secret);
        ExecResult r = local.run(HostCommand.of("hash", "sha256sum").withSecretStdin(secret));
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret));
        assertThat(r.out()).startsWith(expected + " ");
        // no stdin: the process sees end of input at once
        assertThat(local.run(HostCommand.of("cat", "cat")).stdout()).isEmpty();
    }

    @Test
    void readsLargeStdoutAndStderrWithoutDeadlock() {
        ExecResult r = local.run(HostCommand.of("big", "sh", "-c",
                "head -c 6000000 /dev/zero; head -c 5000000 /dev/zero >&2; head -c 1000000 /dev/zero")
                .withTimeout(Duration.ofSeconds(20)));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).hasSize(7_000_000);
        assertThat(r.stderr()).hasSize(5_000_000);
    }

    @Test
    void timesOutAndKillsTheProcessTree() throws Exception {
        Path pidFile = dir.resolve("pid");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> local.run(HostCommand.of("nap", "sh", "-c",
                        "sleep 30 & echo $! > " + pidFile + "; wait")
                .withTimeout(Duration.ofMillis(500))))
                .isInstanceOf(HostExecutionException.class)
                .hasMessageStartingWith("timed out after 500ms: sh -c ");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        Path stat = Path.of("/proc/" + pid + "/stat");
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (running(stat) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(running(stat)).as("grandchild sleep %d is killed", pid).isFalse();
    }

    /** Present and not a zombie (a killed orphan may linger as a zombie until reaped). */
    private static boolean running(Path stat) {
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (Exception gone) {
            return false;
        }
    }

    @Test
    void usesTheDefaultTimeoutWhenTheCommandHasNone() {
        LocalExecutor quick = new LocalExecutor(Duration.ofMillis(300), "sudo", true);
        assertThatThrownBy(() -> quick.run(HostCommand.of("nap", "sleep", "10")))
                .hasMessage("timed out after 300ms: sleep 10");
    }

    @Test
    void prefixesSudoForPrivilegedCommandsWhenNotRoot() throws Exception {
        Path sudo = script("sudo", "#!/bin/sh\n[ \"$1\" = -n ] || { echo 'no -n' >&2; exit 99; }\nshift\n"
                + "echo via-sudo >&2\nexec \"$@\"\n");
        LocalExecutor notRoot = new LocalExecutor(Duration.ofSeconds(10), sudo.toString(), false);
        ExecResult r = notRoot.run(HostCommand.of("printf", "printf", "%s|", "a b", "c"));
        assertThat(r.out()).isEqualTo("a b|c|");
        assertThat(r.err()).isEqualTo("via-sudo\n");
        // unprivileged commands and root never go through sudo
        assertThat(notRoot.run(HostCommand.of("e", "echo", "x").unprivileged()).err()).isEmpty();
        assertThat(new LocalExecutor(Duration.ofSeconds(10), sudo.toString(), true)
                .run(HostCommand.of("e", "echo", "x")).err()).isEmpty();
    }

    @Test
    void explainsSudoThatWantsAPassword() throws Exception {
        Path sudo = script("sudo", "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n");
        LocalExecutor notRoot = new LocalExecutor(Duration.ofSeconds(10), sudo.toString(), false);
        assertThatThrownBy(() -> notRoot.run(HostCommand.of("pv", "pvcreate", "/dev/nvme1n1")))
                .isInstanceOf(HostExecutionException.class)
                .hasMessage("sudo needs a password on this machine; run cryptvol as root or allow passwordless sudo"
                        + " for " + System.getProperty("user.name") + " (needed for: pvcreate)");
    }

    @Test
    void doesNotMistakeACommandsOwnExitOneForSudo() throws Exception {
        Path sudo = script("sudo", "#!/bin/sh\nshift\nexec \"$@\"\n");
        LocalExecutor notRoot = new LocalExecutor(Duration.ofSeconds(10), sudo.toString(), false);
        ExecResult r = notRoot.run(HostCommand.of("grep", "sh", "-c", "echo 'no match' >&2; exit 1"));
        assertThat(r.exitCode()).isEqualTo(1);
    }

    @Test
    void explainsMissingSudo() {
        LocalExecutor notRoot = new LocalExecutor(Duration.ofSeconds(10), dir.resolve("no-sudo").toString(), false);
        assertThatThrownBy(() -> notRoot.run(HostCommand.of("pv", "pvcreate", "/dev/x")))
                .isInstanceOf(HostExecutionException.class)
                .hasMessageStartingWith("sudo is not installed on this machine");
    }

    /**
     * Issue 17 item 1: a program that is not there is a result, as a shell gives it (exit 127, "NAME: command
     * not found"), not an exception, so callers' "not installed" branches (exit 127) are reached on this
     * machine as over SSH; a file that is not executable is exit 126.
     */
    @Test
    void aMissingProgramIsExit127AsAShellSaysIt() throws Exception {
        Path notExecutable = Files.writeString(dir.resolve("plain"), "#!/bin/sh\necho hi\n");
        String[][] rows = {
                {"no-such-program-cryptvol", "127", "no-such-program-cryptvol: command not found\n"},
                {dir.resolve("nothing/here").toString(), "127", dir.resolve("nothing/here") + ": No such file or directory\n"},
                {notExecutable.toString(), "126", notExecutable + ": Permission denied\n"},
        };
        for (String[] row : rows) {
            ExecResult r = local.run(HostCommand.of("x", row[0], "--version"));
            assertThat(r.exitCode()).as(row[0]).isEqualTo(Integer.parseInt(row[1]));
            assertThat(r.err()).as(row[0]).isEqualTo(row[2]);
            assertThat(r.out()).as(row[0]).isEmpty();
            assertThat(r.ok()).isFalse();
        }
    }

    /** sudo that does not find the program says so and exits 1; the result reads as the shell's exit 127. */
    @Test
    void aProgramSudoDoesNotFindIsExit127Too() throws Exception {
        Path sudo = script("sudo", "#!/bin/sh\nshift\nif command -v \"$1\" >/dev/null; then exec \"$@\"; fi\n"
                + "echo \"sudo: $1: command not found\" >&2\nexit 1\n");
        LocalExecutor notRoot = new LocalExecutor(Duration.ofSeconds(10), sudo.toString(), false);
        ExecResult r = notRoot.run(HostCommand.of("pv", "no-such-pvs-cryptvol", "/dev/x"));
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.err()).isEqualTo("no-such-pvs-cryptvol: command not found\n");
        ExecResult other = notRoot.run(HostCommand.of("sh", "sh", "-c", "echo 'sudo: x: command not found' >&2; exit 1"));
        assertThat(other.exitCode()).as("a program's own exit 1 is left as it is").isEqualTo(1);
    }

    @Test
    void detectsTheCurrentUid() throws Exception {
        Process p = new ProcessBuilder("id", "-u").start();
        int expected = Integer.parseInt(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        assertThat(LocalExecutor.currentUid()).isEqualTo(expected);
        assertThat(new LocalExecutor().runsAsRoot()).isEqualTo(expected == 0);
        assertThat(local.target()).isEqualTo("local");
    }

    private Path script(String name, String body) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, body);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
        return f;
    }
}
