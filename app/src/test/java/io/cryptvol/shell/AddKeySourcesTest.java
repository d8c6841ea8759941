package io.cryptvol.shell;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.record.FixtureHost;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code luks add-key} takes the same key sources as unlock, grow and restore ({@code day2.KeyChoice}), for the key
 * that opens the header and for the key to add: each row is a command line, typed in the real shell against a
 * {@link FixtureHost} whose header opens only with the row's existing key (by the bytes on the key test's stdin), as a
 * dry run. The plan must add the right key with the right one: the existing key on cryptsetup's stdin, the new one
 * written to a tmpfs file; the key test must have seen the existing key's bytes on stdin and no argv a key's bytes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AddKeySourcesTest {
    static volatile FixtureHost host;

    @TempDir
    static Path tmp;
    ShellHarness shell;
    Path files;
    byte[] k1;
    byte[] k2;

    static class FixtureHostConfig {
        @Bean
        @Primary
        HostAccess fixtureHostAccess(SessionContext ctx, SessionMode mode) {
            return new HostAccess(ctx, (target, acceptNew) -> mode.guard(host));
        }
    }

    /**
     * @param line    the command (FILES stands for the directory of key files)
     * @param typed   what the user types at the passphrase questions (null: none asked)
     * @param opener  the bytes that open the header: "k1", "old.key" (a file), or a typed passphrase
     * @param adds    the plan's "Add key '…'" label of the new key
     * @param opens   the existing key's label, on cryptsetup luksAddKey's stdin
     */
    record Row(String name, String line, String typed, String opener, String adds, String opens) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> rows() {
        String dev = "luks add-key /dev/vg1/lv1 ";
        return Stream.of(
                new Row("store → store", dev + "--key k1 --new-key k2", null, "k1", "k2", "k1"),
                new Row("key file → store", dev + "--key-file FILES/old.key --new-key k2", null, "old.key", "k2", "file old.key"),
                new Row("backup dir + name → key file", dev + "--key-backup FILES/usb --key k1 --new-key-file FILES/new.key",
                        null, "k1", "file new.key", "backup k1.key"),
                new Row("typed passphrase → store", dev + "--passphrase --new-key k2", "old words\n", "old words", "k2",
                        "typed passphrase"),
                new Row("store → typed passphrase (asked twice)", dev + "--key k1 --new-passphrase", "new words\nnew words\n",
                        "k1", "typed passphrase", "k1"),
                new Row("typed → typed: two labels", dev + "--passphrase --new-passphrase", "old words\nnew words\nnew words\n",
                        "old words", "new typed passphrase", "typed passphrase"),
                new Row("two files of one name: two labels", dev + "--key-file FILES/old.key --new-key-file FILES/other/old.key",
                        null, "old.key", "new file old.key", "file old.key"),
                new Row("store → the only key of a backup dir", dev + "--key k1 --new-key-backup FILES/usb2", null, "k1",
                        "backup k2.key", "k1"));
    }

    @BeforeAll
    void start() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("cryptvol"));
        files = Files.createDirectories(tmp.resolve("files"));
        host = new FixtureHost(BadInputTest.closedVolume(FixtureHost.disks(List.of("vol0aaaaaaaaaaaaaaa1",
                "vol0aaaaaaaaaaaaaaa2"), 1L << 30)));
        shell = new ShellHarness(home, Map.of(), FixtureHostConfig.class);
        assertThat(shell.type("keys generate k1 k2")).contains("generated key 'k2'");
        k1 = Files.readAllBytes(home.resolve("config/keys/k1.key"));
        k2 = Files.readAllBytes(home.resolve("config/keys/k2.key"));
        Files.write(files.resolve("old.key"), "an old dd key file".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(files.resolve("other"));
        Files.write(files.resolve("other/old.key"), "another key file".getBytes(StandardCharsets.UTF_8));
        Files.write(files.resolve("new.key"), "a new key file".getBytes(StandardCharsets.UTF_8));
        Files.write(Files.createDirectories(files.resolve("usb")).resolve("k1.key"), k1);
        Files.write(files.resolve("usb/k2.key"), k2);
        Files.write(Files.createDirectories(files.resolve("usb2")).resolve("k2.key"), k2);
    }

    @AfterAll
    void stop() {
        shell.close();
    }

    byte[] bytesOf(String opener) throws Exception {
        return switch (opener) {
            case "k1" -> k1;
            case "old.key" -> Files.readAllBytes(files.resolve("old.key"));
            default -> opener.getBytes(StandardCharsets.UTF_8);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void eachSourceGivesTheRightPlan(Row r) throws Exception {
        byte[] opener = bytesOf(r.opener());
        List<byte[]> tested = new java.util.concurrent.CopyOnWriteArrayList<>();
        host.opens = b -> {
            tested.add(b.clone());
            return Arrays.equals(b, opener);
        };
        host.changes.clear();
        host.queries.clear();
        if (r.typed() != null) {
            shell.keys(r.typed());
        }
        String out = shell.type(r.line().replace("FILES", files.toString()) + " --dry-run");
        assertThat(out).as(out).doesNotContain("error:").contains("Add key '" + r.adds() + "' to /dev/vg1/lv1")
                .contains("dry run: nothing was changed");
        // the plan: the new key's bytes to a tmpfs file, luksAddKey with the existing key on stdin
        String plan = out.substring(out.indexOf("Add key '" + r.adds() + "'"));
        assertThat(plan).containsPattern("umask 077 && cat > \"\\$1\"' sh /run/cryptvol/[A-Za-z0-9_-]+\\.key  < key '"
                        + java.util.regex.Pattern.quote(r.adds()) + "' on stdin")
                .containsPattern("cryptsetup luksAddKey --batch-mode .*--key-file - /dev/vg1/lv1 /run/cryptvol/[A-Za-z0-9_-]+\\.key  "
                        + "< key '" + java.util.regex.Pattern.quote(r.opens()) + "' on stdin")
                .contains("finally $ shred -u /run/cryptvol/");
        // the host tested both keys, each on stdin: the existing one opened, the new one did not
        assertThat(tested).anyMatch(b -> Arrays.equals(b, opener));
        assertThat(tested).hasSize(2);
        assertThat(host.changes).isEmpty();
        for (HostCommand q : host.queries) {
            String argv = String.join(" ", q.argv());
            assertThat(argv).doesNotContain("words").doesNotContain("dd key file").doesNotContain("a new key file");
        }
        if (r.typed() != null) {
            assertThat(out).doesNotContain("words");
        }
        host.opens = null;
    }

    /** A new passphrase typed differently the second time: one usage line, nothing planned, nothing asked of the host. */
    @org.junit.jupiter.api.Test
    void twoDifferentNewPassphrasesAreRefused() throws Exception {
        host.queries.clear();
        shell.keys("new words\nnew wordz\n");
        String out = shell.type("luks add-key /dev/vg1/lv1 --key k1 --new-passphrase --yes");
        assertThat(out.lines().filter(l -> l.startsWith("error:")).toList())
                .containsExactly("error: the two passphrases differ; nothing was changed");
        assertThat(out).doesNotContain("words").doesNotContain("wordz");
        assertThat(host.queries).isEmpty();
        assertThat(host.changes).isEmpty();
    }

    /** A new key that opens the header already: nothing to do, no key file written. */
    @org.junit.jupiter.api.Test
    void aNewKeyThatOpensAlreadyIsNothingToDo() throws Exception {
        host.opens = b -> true;
        String out = shell.type("luks add-key /dev/vg1/lv1 --key-file " + files.resolve("old.key") + " --new-key-file "
                + files.resolve("new.key") + " --dry-run");
        host.opens = null;
        assertThat(out).doesNotContain("error:").doesNotContain("umask 077").doesNotContain("luksAddKey");
    }
}
