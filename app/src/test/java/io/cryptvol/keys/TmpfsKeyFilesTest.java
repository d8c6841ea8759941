package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.exec.DryRunExecutor;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.LocalExecutor;
import io.cryptvol.exec.TranscribingExecutor;
import io.cryptvol.exec.Transcript;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against a real executor: LocalExecutor, with a temp directory standing in for /run/cryptvol. */
class TmpfsKeyFilesTest {
    @TempDir
    Path home;
    @TempDir
    Path target;
    KeyStore store;
    KeyLedger ledger;
    Transcript transcript;
    HostExecutor local;
    TmpfsKeyFiles files;
    Path run;

    @BeforeEach
    void setUp() {
        store = new KeyStore(home.resolve("config/keys"), home.resolve("config/keys.json"));
        store.generate(List.of("data-key-1"), 4096);
        ledger = new KeyLedger(home.resolve("state/key-ledger.json"));
        transcript = new Transcript(home.resolve("state/transcript.log"));
        local = new TranscribingExecutor(new LocalExecutor(Duration.ofSeconds(30), "sudo", true), transcript);
        run = target.resolve("run/cryptvol");
        files = new TmpfsKeyFiles(KeySource.of(store), ledger, run.toString(), false);
    }

    @Test
    void writesThe0600FileIn0700DirRecordsItFirstAndShredsAfter() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        String result = files.withKeyFile(local, "data-key-1", path -> {
            Path p = Path.of(path);
            seen.set(path);
            try {
                assertThat(p.getParent()).isEqualTo(run);
                assertThat(Files.readAllBytes(p)).isEqualTo(store.read("data-key-1"));
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(run))).isEqualTo("rwx------");
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            // recorded while the file exists
            assertThat(ledger.outstandingOn("local")).singleElement()
                    .satisfies(e -> assertThat(e.path()).isEqualTo(path));
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(Path.of(seen.get())).doesNotExist();
        assertThat(ledger.outstanding()).isEmpty();
        assertThat(ledger.all()).singleElement().satisfies(e -> {
            assertThat(e.shredded()).isTrue();
            assertThat(e.keyName()).isEqualTo("data-key-1");
            assertThat(e.where()).isEqualTo("local");
        });
        String log = Files.readString(transcript.file());
        assertThat(log).contains("\"shred\",\"-u\"").contains("secret, redacted");
        LeakScan.assertNoLeak(List.of(store.read("data-key-1")),
                List.of(transcript.file(), ledger.file(), store.metadataFile()));
    }

    @Test
    void theFileIsShreddedWhenTheStepInBetweenFails() {
        List<String> paths = new ArrayList<>();
        assertThatThrownBy(() -> files.withKeyFile(local, "data-key-1", path -> {
            paths.add(path);
            ExecResult r = local.run(HostCommand.of("a failing step", "sh", "-c", "exit 5"));
            throw new CryptvolException("step failed with exit " + r.exitCode());
        })).hasMessage("step failed with exit 5");
        assertThat(Path.of(paths.get(0))).doesNotExist();
        assertThat(ledger.outstanding()).isEmpty();
    }

    @Test
    void anUnknownKeyWritesNothingAndLeavesNoOutstandingEntry() {
        assertThatThrownBy(() -> files.withKeyFile(local, "nope", path -> "x"))
                .isInstanceOf(CryptvolException.class).hasMessage("unknown key 'nope': see 'keys list'");
        assertThat(ledger.outstanding()).isEmpty();
        assertThat(ledger.all()).singleElement().satisfies(e -> assertThat(e.shredded()).isTrue());
    }

    @Test
    void aFileThatCannotBeShreddedStaysInTheLedgerAndKeysShredFindsItLater() throws Exception {
        // an executor that loses the connection exactly when shred runs
        HostExecutor flaky = new HostExecutor() {
            @Override
            public ExecResult run(HostCommand c) {
                if (c.argv().get(0).equals("shred")) {
                    throw new io.cryptvol.exec.HostExecutionException("connection lost");
                }
                return local.run(c);
            }

            @Override
            public String target() {
                return "local";
            }
        };
        List<String> paths = new ArrayList<>();
        assertThatThrownBy(() -> files.withKeyFile(flaky, "data-key-1", p -> paths.add(p)))
                .hasMessageContaining("could not be shredded").hasMessageContaining("run 'keys shred'");
        assertThat(Path.of(paths.get(0))).exists();
        assertThat(ledger.outstandingOn("local")).hasSize(1);

        List<LedgerShredder.Outcome> out = new LedgerShredder(ledger).shredOutstanding("local", () -> local);
        assertThat(out).singleElement().satisfies(o -> assertThat(o.result()).isEqualTo(LedgerShredder.Result.SHREDDED));
        assertThat(Path.of(paths.get(0))).doesNotExist();
        assertThat(ledger.outstanding()).isEmpty();
        // a second pass: nothing left
        assertThat(new LedgerShredder(ledger).shredOutstanding("local", () -> local)).isEmpty();
    }

    @Test
    void alreadyGoneFilesAreMarkedWithoutFailing() {
        LedgerEntry e = ledger.record("local", run.resolve("gone.key").toString(), "data-key-1");
        LedgerShredder.Outcome o = new LedgerShredder(ledger).shredOnTarget(local, e);
        assertThat(o.result()).isEqualTo(LedgerShredder.Result.ALREADY_GONE);
        assertThat(ledger.outstanding()).isEmpty();
    }

    @Test
    void closeShredsFilesOfActionsStillRunning() throws Exception {
        List<String> paths = new ArrayList<>();
        files.withKeyFile(local, "data-key-1", p -> {
            paths.add(p);
            files.close(); // e.g. the shell is stopped mid-step
            assertThat(Path.of(p)).doesNotExist();
            return null;
        });
        assertThat(ledger.outstanding()).isEmpty();
    }

    @Test
    void refusesADirectoryThatIsNotTmpfsWhenAsked() throws Exception {
        // the build directory lives on the project's disk, never on tmpfs
        Path onDisk = Files.createDirectories(Path.of("target", "tmpfs-check-" + System.nanoTime())).toAbsolutePath();
        try {
            String fs = local.run(HostCommand.query("fs type", "stat", "-f", "-c", "%T", onDisk.toString())).out().strip();
            assertThat(fs).as("file system of the build directory").isNotIn("tmpfs", "ramfs");
            TmpfsKeyFiles strict = new TmpfsKeyFiles(KeySource.of(store), ledger, onDisk.resolve("run").toString(), true);
            assertThatThrownBy(() -> strict.withKeyFile(local, "data-key-1", p -> "x"))
                    .hasMessageContaining("is not on tmpfs");
            assertThat(ledger.outstanding()).isEmpty();
        } finally {
            Files.walk(onDisk).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void acceptsTmpfsWhenAsked() throws Exception {
        Path shm = Path.of("/dev/shm");
        assertThat(local.run(HostCommand.query("fs type", "stat", "-f", "-c", "%T", shm.toString())).out().strip())
                .isIn("tmpfs", "ramfs");
        TmpfsKeyFiles strict = new TmpfsKeyFiles(KeySource.of(store), ledger,
                shm.resolve("cryptvol-test-" + System.nanoTime()).toString(), true);
        Long size = strict.withKeyFile(local, "data-key-1", p -> { try { return Files.size(Path.of(p)); } catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); } });
        assertThat(size).isEqualTo(4096L);
        assertThat(ledger.outstanding()).isEmpty();
    }

    @Test
    void dryRunRecordsNothingAndReadsNoKey() {
        DryRunExecutor dry = new DryRunExecutor();
        files.withKeyFile(dry, "no-such-key-needed", p -> "x");
        assertThat(ledger.all()).isEmpty();
        assertThat(dry.recorded()).extracting(c -> c.argv().get(0)).containsExactly("install", "sh", "shred");
        assertThat(dry.recorded().get(1).stdinLength()).isZero();
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
    void keySourceGivesNamedAndEphemeralKeys() {
        KeySource src = KeySource.of(store);
        assertThat(src.bytes(KeyRef.named("data-key-1"))).isEqualTo(store.read("data-key-1"));
        assertThat(src.bytes(KeyRef.ephemeral("wipe-x", 32))).hasSize(32);
        assertThatThrownBy(() -> src.bytes(KeyRef.named("../x")))
                .isInstanceOf(CryptvolException.class).hasMessage("unknown key '../x': see 'keys list'");
    }
}
