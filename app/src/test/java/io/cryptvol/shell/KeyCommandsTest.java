package io.cryptvol.shell;

import io.cryptvol.exec.LocalExecutor;
import io.cryptvol.exec.TranscribingExecutor;
import io.cryptvol.exec.Transcript;
import io.cryptvol.keys.KeyLedger;
import io.cryptvol.keys.KeySource;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.keys.LeakScan;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.shell.completion.CompletionProvider;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The keys commands as a user types them, and a scan of every file the session wrote for key bytes. */
class KeyCommandsTest {
    @TempDir
    Path home;
    @TempDir
    Path usb1;
    @TempDir
    Path usb2;
    @TempDir
    Path target;
    ShellHarness shell;
    StringBuilder screen = new StringBuilder();

    /** The session's host is this machine, without sudo (so the test runs the same as root or not). */
    @Configuration(proxyBeanMethods = false)
    static class LocalNoSudo {
        @Bean(destroyMethod = "close")
        @Primary
        HostAccess testHostAccess(SessionContext ctx, Transcript transcript) {
            return new HostAccess(ctx, (t, accept) -> new TranscribingExecutor(
                    new LocalExecutor(Duration.ofSeconds(30), "sudo", true), transcript));
        }
    }

    @BeforeEach
    void start() throws Exception {
        shell = new ShellHarness(home, Map.of(), LocalNoSudo.class);
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    String type(String line) throws Exception {
        String out = shell.type(line);
        screen.append(out);
        return out;
    }

    @Test
    void generateListBackupUntilTheWarningGoes() throws Exception {
        String out = type("keys generate a b");
        assertThat(out).contains("✔ generated key 'a' (4096 bytes, fingerprint ")
                .contains("generated key 'b'")
                .contains("warning: key 'a' has 0 verified backups (fewer than 2)")
                .contains("warning: key 'b' has 0 verified backups");
        KeyStore store = shell.bean(KeyStore.class);
        assertThat(store.dir()).isEqualTo(home.resolve("config/keys"));
        assertThat(shell.bean(Inventory.class).get("key")).containsExactly("a", "b");

        out = type("keys list");
        String fpA = store.require("a").fingerprint();
        assertThat(out).containsPattern("NAME\\s+FINGERPRINT\\s+SIZE\\s+BACKUPS\\s+OPENS\\s+CREATED")
                .containsPattern("a\\s+" + fpA + "\\s+4096\\s+0 \\(0 verified\\)")
                .contains("warning: key 'a' has 0 verified backups (fewer than 2)");

        out = type("keys backup a --to " + usb1);
        assertThat(out).contains("✔ backed up 'a' to " + usb1.resolve("a.key")).contains("1 (1 verified)")
                .contains("warning: key 'a' has 1 verified backup (fewer than 2)");
        out = type("keys backup a --to " + usb2);
        assertThat(out).contains("2 (2 verified)").doesNotContain("warning: key 'a'");

        out = type("keys list");
        assertThat(out).containsPattern("a\\s+" + fpA + "\\s+4096\\s+2 \\(2 verified\\)")
                .doesNotContain("warning: key 'a'")
                .contains("warning: key 'b' has 0 verified backups");

        out = type("keys list --output json");
        assertThat(out).contains("\"name\" : \"a\"").contains("\"verifiedBackups\" : 2").contains("\"needsBackups\" : false")
                .doesNotContain("warning");

        // a generate that would overwrite is one line and changes nothing
        out = type("keys generate a c");
        assertThat(out.strip()).startsWith("error: key 'a' already exists: refusing to overwrite it");
        assertThat(store.exists("c")).isFalse();

        out = type("keys generate");
        assertThat(out.strip()).isEqualTo("error: name the keys to generate, e.g. 'keys generate data-key-1 data-key-2'");

        out = type("keys generate ../evil");
        assertThat(out.strip()).startsWith("error: not a valid key name: '../evil'");
    }

    @Test
    void verifyReportsATamperedBackup() throws Exception {
        type("keys generate k --size 64");
        type("keys backup k --to " + usb1);
        type("keys backup k --to " + usb2);
        assertThat(type("keys verify k")).contains("all 3 copies verified");
        Files.write(usb2.resolve("k.key"), new byte[64]);
        String out = type("keys verify");
        assertThat(out).containsPattern(usb2.resolve("k.key") + "\\s+DIFFERENT BYTES")
                .contains("warning: key 'k' has 1 verified backup")
                .contains("error: 1 of 3 key copies failed verification");
        assertThat(type("keys list")).containsPattern("k\\s+[0-9a-f]{16}\\s+64\\s+2 \\(1 verified\\)");
    }

    /**
     * {@code keys verify} also checks every LUKS header backup: the key store's file and each copy made by
     * {@code keys backup}, against the SHA-256 recorded when it was taken; a damaged copy and a lost file each fail,
     * each on its own row, and the exit is non-zero.
     */
    @Test
    void verifyChecksEveryHeaderBackupAndItsCopies() throws Exception {
        String uuid = "4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b";
        type("keys generate k --size 64");
        KeyStore store = shell.bean(KeyStore.class);
        java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(4096).put(new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe})
                .putShort((short) 1);
        h.position(168).put(uuid.getBytes(StandardCharsets.US_ASCII));
        var b = store.headers().add(h.array(), null, "/dev/vg/lv", "local", java.time.Instant.now());
        store.headers().copyTo(List.of(uuid), usb1, java.time.Instant.now());
        Path own = store.headers().dir().resolve(b.file());
        Path copy = usb1.resolve(b.file());
        String out = type("keys verify");
        assertThat(out).containsPattern("header " + uuid + "\\s+" + own + "\\s+ok \\(SHA-256 " + b.fingerprint())
                .containsPattern("header " + uuid + "\\s+" + copy + "\\s+ok")
                .contains("all 1 copies verified, and 2 LUKS header backup check(s)").doesNotContain("error:");

        Files.write(copy, new byte[4096]);
        out = type("keys verify");
        assertThat(out).containsPattern(copy + "\\s+DIFFERENT BYTES").containsPattern(own + "\\s+ok")
                .contains("error: 1 of 2 LUKS header backup checks failed");
        Files.delete(own);
        out = type("keys verify");
        assertThat(out).containsPattern(own + "\\s+missing").contains("error: 2 of 2 LUKS header backup checks failed");
        assertThat(type("keys verify k")).as("a key named: that key's copies only").contains("all 1 copies verified")
                .doesNotContain("header ");
    }

    @Test
    void whereAndShredFollowTheLedger() throws Exception {
        type("keys generate k");
        KeyLedger ledger = shell.bean(KeyLedger.class);
        assertThat(type("keys where")).contains("no outstanding key copies");

        // a step's key file on this target that a crash left behind, and one on another host
        Path left = target.resolve("left.key");
        Files.write(left, shell.bean(KeyStore.class).read("k"));
        ledger.record("local", left.toString(), "k");
        ledger.record("admin@10.0.0.9:22", "/run/cryptvol/x.key", "k");

        String out = type("keys where");
        assertThat(out).containsPattern("local\\s+" + left + "\\s+k\\s+.*OUTSTANDING")
                .containsPattern("admin@10.0.0.9:22\\s+/run/cryptvol/x.key\\s+k\\s+.*OUTSTANDING");
        assertThat(type("keys where -o json")).contains("\"path\" : \"/run/cryptvol/x.key\"").contains("\"shredded\" : false");

        out = type("keys shred");
        assertThat(out).contains("✔ shredded: " + left + " (key 'k') on local")
                .contains("warning: /run/cryptvol/x.key (key 'k') on admin@10.0.0.9:22: not reachable now (connect to admin@10.0.0.9:22 to scrub)")
                .contains("error: 1 key copy not scrubbed yet; see 'keys where'");
        assertThat(left).doesNotExist();
        assertThat(ledger.outstanding()).singleElement().satisfies(e -> assertThat(e.where()).isEqualTo("admin@10.0.0.9:22"));
        assertThat(type("keys where --all")).contains("shredded ");
    }

    @Test
    void shredBackupsOfARetiredKeyNeedsYes() throws Exception {
        type("keys generate old --size 64");
        type("keys backup old --to " + usb1);
        String out = type("keys shred old --backups");
        assertThat(out.strip()).startsWith("error: this scrubs 1 backup(s) of 'old' for good").endsWith("add --yes");
        assertThat(usb1.resolve("old.key")).exists();
        out = type("keys shred old --backups --yes");
        assertThat(out).contains("✔ shredded: " + usb1.resolve("old.key"));
        assertThat(usb1.resolve("old.key")).doesNotExist();
        assertThat(type("keys list")).contains("0 (0 verified)");
        out = type("keys shred old --retire --yes");
        assertThat(out).contains("✔ shredded: " + home.resolve("config/keys/old.key"));
        assertThat(shell.bean(KeyStore.class).exists("old")).isFalse();
    }

    @Test
    void keyNamesComplete() throws Exception {
        type("keys generate data-key-1 data-key-2");
        CompletionProvider p = (CompletionProvider) shellBean("keyNameCompletion");
        assertThat(p.apply(null)).extracting(org.springframework.shell.CompletionProposal::value)
                .containsExactly("data-key-1", "data-key-2");
        assertThat(type("help keys backup")).contains("--to");
    }

    private Object shellBean(String name) throws Exception {
        var f = ShellHarness.class.getDeclaredField("app");
        f.setAccessible(true);
        return ((org.springframework.context.ApplicationContext) f.get(shell)).getBean(name);
    }
}
