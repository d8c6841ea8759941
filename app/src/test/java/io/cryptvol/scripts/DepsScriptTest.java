package io.cryptvol.scripts;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * scripts/deps (what {@code scripts/cryptvol --sandbox} and scripts/test run first on a fresh machine), run by
 * bash with a PATH of fakes: apt-get and sudo only log what they were asked, {@code id} says who we are, and
 * /etc/os-release is a file of the test's. Nothing is installed for real.
 */
class DepsScriptTest {
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final String TOOLS = "qemu-system-x86 qemu-utils mmdebstrap cpio kmod";
    @TempDir
    Path tmp;
    Path bin;
    Path log;

    record Run(int exit, String out, String err, List<String> calls) {
    }

    @BeforeEach
    void fakes() throws Exception {
        bin = Files.createDirectories(tmp.resolve("bin"));
        log = tmp.resolve("calls.log");
        for (String real : List.of("/bin/bash", "/usr/bin/env", "/usr/bin/dirname")) {
            fake(Path.of(real).getFileName().toString(), "exec " + real + " \"$@\"");
        }
        fake("id", "echo \"$FAKE_UID\"");
        fake("apt-get", "echo \"apt-get $*\" >> \"$LOG\"");
        fake("sudo", "echo \"sudo $*\" >> \"$LOG\"; exec \"$@\"");
    }

    void fake(String name, String body) throws Exception {
        Path f = bin.resolve(name);
        Files.writeString(f, "#!/bin/bash\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    Path osRelease(String id, String idLike) throws Exception {
        Path f = tmp.resolve("os-release");
        Files.writeString(f, "PRETTY_NAME=\"Some Linux\"\nID=" + id + "\n" + (idLike == null ? "" : "ID_LIKE=\"" + idLike + "\"\n"));
        return f;
    }

    Run run(String os, String idLike, int uid, String stdin, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", bin.toString());
        env.put("CRYPTVOL_SBIN_DIRS", sbinDirs); // not this machine's /usr/sbin: the fakes decide what is there
        env.put("LOG", log.toString());
        env.put("FAKE_UID", String.valueOf(uid));
        env.put("SHELL", "/bin/bash");
        env.put("CRYPTVOL_OS_RELEASE", osRelease(os, idLike).toString());
        Path out = tmp.resolve("out");
        Path err = tmp.resolve("err");
        Files.writeString(tmp.resolve("in"), stdin);
        pb.redirectInput(tmp.resolve("in").toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("finished").isTrue();
        List<String> calls = Files.exists(log) ? Files.readAllLines(log) : List.of();
        Files.deleteIfExists(log);
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8), calls);
    }

    Run deps(String os, String idLike, int uid, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", "scripts/deps"));
        cmd.addAll(List.of(args));
        return run(os, idLike, uid, "", cmd.toArray(String[]::new));
    }

    /** The ask branch needs a terminal: util-linux script gives the command one, and the answer is typed into it. */
    Run asked(String answer) throws Exception {
        return run("debian", null, 0, answer + "\n", "/usr/bin/script", "-qec", "/bin/bash scripts/deps sandbox --ask", "/dev/null");
    }

    @Test
    void debianAsRootInstallsEverythingWithAptGet() throws Exception {
        Run r = deps("debian", null, 0, "test");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.calls()).containsExactly("apt-get update -q", "apt-get install -y -q " + TOOLS, "apt-get install -y -q zsh");
        assertThat(r.err()).contains("installing qemu-system-x86_64 qemu-img mmdebstrap cpio depmod zsh");
    }

    @Test
    void ubuntuAsAUserGoesThroughSudo() throws Exception {
        Run r = deps("ubuntu", "debian", 1000, "sandbox");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.calls()).containsExactly("sudo " + ROOT.resolve("scripts/testvm/deps.sh"), "apt-get update -q",
                "apt-get install -y -q " + TOOLS);
    }

    /** (os-release ID, ID_LIKE, uid, what the one line must hold): nothing is installed, exit 1. */
    @Test
    void whereItCannotInstallItPrintsTheOneCommandToRun() throws Exception {
        Object[][] rows = {
                {"fedora", null, 1000, "this is not Debian/Ubuntu, so install them yourself: sudo dnf install -y qemu-system-x86 qemu-img mmdebstrap cpio kmod zsh"},
                {"arch", null, 0, "sudo pacman -S --needed qemu-base mmdebstrap cpio kmod zsh"},
                {"alpine", null, 0, "install them yourself with its package manager (qemu-system-x86_64, qemu-img, mmdebstrap, cpio, kmod, zsh)"},
                {"debian", null, 1000, "install them as root: " + ROOT.resolve("scripts/deps") + " sandbox"},
        };
        for (Object[] row : rows) {
            if (row[3].toString().contains("as root")) {
                Files.delete(bin.resolve("sudo"));
            }
            Run r = deps((String) row[0], (String) row[1], (int) row[2], "sandbox");
            assertThat(r.exit()).as(row[0].toString()).isEqualTo(1);
            assertThat(r.calls()).as(row[0].toString()).isEmpty();
            assertThat(r.out()).isEmpty();
            assertThat(r.err().lines().toList()).as(row[0].toString()).singleElement().asString()
                    .startsWith("cryptvol: the sandbox needs qemu-system-x86_64 qemu-img mmdebstrap cpio depmod, which are not installed; ")
                    .endsWith((String) row[3]);
        }
    }

    @Test
    void askingWithoutATerminalInstallsNothingAndSaysHow() throws Exception {
        Run r = deps("debian", null, 0, "sandbox", "--ask");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.calls()).isEmpty();
        assertThat(r.err().strip()).endsWith("install them with: " + ROOT.resolve("scripts/deps") + " sandbox");
    }

    @Test
    void askingOnATerminalInstallsOnlyAfterAYes() throws Exception {
        Run no = asked("n");
        assertThat(no.exit()).isEqualTo(1);
        assertThat(no.calls()).isEmpty();
        assertThat(no.out()).contains("Install them now (with apt-get)? [y/N]").contains("nothing installed");
        Run yes = asked("y");
        assertThat(yes.exit()).as(yes.out()).isZero();
        assertThat(yes.calls()).containsExactly("apt-get update -q", "apt-get install -y -q " + TOOLS);
    }

    String sbinDirs = "";

    /** depmod is in /usr/sbin, not on a normal user's PATH on Debian: it is found there, not "missing". */
    @Test
    void aToolInAnSbinDirOffThePathIsFound() throws Exception {
        for (String t : List.of("qemu-system-x86_64", "qemu-img", "mmdebstrap", "cpio", "zsh")) {
            fake(t, "exit 0");
        }
        Path sbin = Files.createDirectories(tmp.resolve("sbin"));
        Path depmod = sbin.resolve("depmod");
        Files.writeString(depmod, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(depmod, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Run missing = deps("debian", null, 1000, "test");
        assertThat(missing.err()).contains("depmod");
        sbinDirs = sbin.toString();
        Run found = deps("debian", null, 1000, "test");
        assertThat(found.exit()).as(found.err()).isZero();
        assertThat(found.out() + found.err()).isEmpty();
        assertThat(found.calls()).isEmpty();
    }

    @Test
    void nothingMissingIsSilent() throws Exception {
        for (String t : List.of("qemu-system-x86_64", "qemu-img", "mmdebstrap", "cpio", "depmod", "zsh")) {
            fake(t, "exit 0");
        }
        Run r = deps("fedora", null, 1000, "test");
        assertThat(r.exit()).isZero();
        assertThat(r.out() + r.err()).isEmpty();
        assertThat(r.calls()).isEmpty();
        assertThat(deps("debian", null, 0, "nonsense").exit()).isEqualTo(2);
    }

    /** The launcher asks before anything else (no build, no JVM) when --sandbox is given. */
    @Test
    void theLauncherChecksTheSandboxToolsFirst() throws Exception {
        Run r = run("fedora", null, 1000, "", "/bin/bash", "scripts/cryptvol", "--sandbox");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().toList()).singleElement().asString().contains("sudo dnf install -y");
        Run without = run("fedora", null, 1000, "", "/bin/bash", "scripts/cryptvol", "--version");
        assertThat(without.err()).doesNotContain("sandbox needs"); // only --sandbox needs them
    }
}
