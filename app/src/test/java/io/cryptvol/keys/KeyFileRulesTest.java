package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.LocalExecutor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The one tmpfs rule, in a real shell: the plan's key step ({@link KeyFiles#tmpfsCheck}) and the observation's fact
 * ({@link KeyFiles#fsTypeScript} read by {@link KeyFiles#onTmpfs}) say the same of the same directory. (The rows of
 * the former TmpfsKeyFilesTest that still matter: a directory on disk is refused, a tmpfs one is accepted.)
 */
class KeyFileRulesTest {
    private final LocalExecutor local = new LocalExecutor(Duration.ofSeconds(30), "sudo", true);

    /** The directory as the host's key directory: the commands with {@link KeyFiles#DIR} replaced by {@code dir}. */
    private ExecResult step(String dir) {
        List<String> argv = new ArrayList<>(KeyFiles.tmpfsCheck().argv());
        assertThat(argv.get(argv.size() - 1)).isEqualTo(KeyFiles.DIR);
        argv.set(argv.size() - 1, dir);
        return local.run(HostCommand.query("step", argv).unprivileged());
    }

    private ExecResult fact(String dir) {
        assertThat(KeyFiles.fsTypeScript()).contains("d=" + KeyFiles.DIR + ";");
        return local.run(HostCommand.query("fact", "sh", "-c",
                KeyFiles.fsTypeScript().replace("d=" + KeyFiles.DIR + ";", "d='" + dir + "';")).unprivileged());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/dev/shm", "target", "/proc", "/sys", "/no/such/dir"})
    void theStepAndTheFactAgree(String where) throws Exception {
        String dir = where.startsWith("/") ? where : Files.createDirectories(Path.of(where)).toAbsolutePath().toString();
        ExecResult step = step(dir);
        ExecResult fact = fact(dir);
        assertThat(fact.ok()).isTrue();
        String fs = fact.out().strip();
        assertThat(step.ok()).as("the step on %s (%s)", dir, fs).isEqualTo(KeyFiles.onTmpfs(fs));
        if (!step.ok()) {
            assertThat(step.err()).contains("is on " + fs + ", not tmpfs: refusing to write a key file there");
        }
    }

    @Test
    void tmpfsIsAcceptedAndADiskIsNot() throws Exception {
        assertThat(fact("/dev/shm").out().strip()).isEqualTo("tmpfs");
        assertThat(step("/dev/shm").ok()).isTrue();
        String onDisk = Files.createDirectories(Path.of("target")).toAbsolutePath().toString();
        assertThat(fact(onDisk).out().strip()).as("the build directory is on a disk").isNotEqualTo("tmpfs");
        assertThat(step(onDisk).exitCode()).isEqualTo(1);
        assertThat(KeyFiles.onTmpfs("ramfs")).isFalse();
        assertThat(KeyFiles.onTmpfs(null)).isFalse();
    }

    @Test
    void recognisesThePlannersKeyFileCommands() {
        String p = KeyFiles.path("abcd1234");
        assertThat(KeyFiles.writtenPath(KeyFiles.write(p))).contains(p);
        assertThat(KeyFiles.shreddedPath(KeyFiles.shred(p))).contains(p);
        assertThat(KeyFiles.writtenPath(KeyFiles.shred(p))).isEmpty();
        assertThat(KeyFiles.shreddedPath(KeyFiles.makeDir())).isEmpty();
    }

    @Test
    void keySourceGivesNamedAndEphemeralKeys(@TempDir Path home) {
        KeyStore store = new KeyStore(home.resolve("config/keys"), home.resolve("config/keys.json"));
        store.generate(List.of("data-key-1"), 4096);
        KeySource src = KeySource.of(store);
        assertThat(src.bytes(KeyRef.named("data-key-1"))).isEqualTo(store.read("data-key-1"));
        assertThat(src.bytes(KeyRef.ephemeral("wipe-x", 32))).hasSize(32);
        assertThatThrownBy(() -> src.bytes(KeyRef.named("../x")))
                .isInstanceOf(CryptvolException.class).hasMessage("unknown key '../x': see 'keys list'");
    }
}
