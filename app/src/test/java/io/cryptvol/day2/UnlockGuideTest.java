package io.cryptvol.day2;

import io.cryptvol.keys.KeyStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The key the guide proposes (from enrollment metadata, never by trying keys), its fallbacks, and "it opens X". */
class UnlockGuideTest {
    static final String A = "aaaaaaaa-1111-2222-3333-444444444444";
    static final String B = "bbbbbbbb-1111-2222-3333-444444444444";

    @TempDir
    Path home;

    KeyStore store() {
        return new KeyStore(home.resolve("keys"), home.resolve("keys.json"));
    }

    @Test
    void proposesTheKeyRecordedForTheUuidAndNothingForAnUnknownOne() {
        KeyStore s = store();
        s.generate(List.of("k1", "k2", "k3"), 64);
        s.recordEnrollment("k2", A, 1, "myvg/mylv");
        s.recordEnrollment("k3", B, 0, "other/lv");
        UnlockGuide g = new UnlockGuide(s);
        UnlockGuide.Proposal p = g.propose(A).orElseThrow();
        assertThat(p.choice().label()).isEqualTo("k2");
        assertThat(p.why()).isEqualTo("recorded as opening LUKS UUID " + A + ", slot 1");
        assertThat(g.propose("cccccccc-0000-0000-0000-000000000000")).isEmpty();
        assertThat(g.propose(null)).isEmpty();
    }

    @Test
    void fallsBackToARecordedBackupWhenTheStoreCopyIsGone() throws Exception {
        KeyStore s = store();
        s.generate(List.of("k1"), 64);
        s.recordEnrollment("k1", A, 0, "myvg/mylv");
        s.backup("k1", Files.createDirectories(home.resolve("usb")));
        Files.delete(home.resolve("keys").resolve("k1" + KeyStore.SUFFIX));
        UnlockGuide.Proposal p = new UnlockGuide(s).propose(A).orElseThrow();
        assertThat(p.choice().fromStore()).isFalse();
        assertThat(p.choice().file()).isEqualTo(home.resolve("usb").resolve("k1" + KeyStore.SUFFIX).toAbsolutePath().normalize());
        assertThat(p.why()).startsWith("a backup of key 'k1'");
    }

    @Test
    void aKeyThatDoesNotOpenSaysWhichVolumeItOpens() throws Exception {
        KeyStore s = store();
        s.generate(List.of("k1", "k2"), 64);
        s.recordEnrollment("k2", B, 0, "other/lv");
        UnlockGuide g = new UnlockGuide(s);
        assertThat(g.opensInstead(KeyChoice.named("k2"), null, A))
                .contains("it is recorded as opening LUKS UUID " + B + " (other/lv)");
        assertThat(g.opensInstead(KeyChoice.named("k1"), null, A)).isEmpty();
        // a file with k2's bytes is recognised by its SHA-256
        byte[] k2 = s.read("k2");
        Path f = Files.write(home.resolve("copy.key"), k2);
        assertThat(g.opensInstead(KeyChoice.file(f), k2, A))
                .contains("it is key 'k2', recorded as opening LUKS UUID " + B + " (other/lv)");
    }

    @Test
    void aStoreKeyThatOpenedAVolumeNothingWasRecordedForIsRememberedOnce() {
        KeyStore s = store();
        s.generate(List.of("k1", "k2"), 64);
        UnlockGuide g = new UnlockGuide(s);
        g.learned(KeyChoice.named("k1"), null, A, "myvg/mylv");
        assertThat(s.keysFor(A)).extracting(k -> k.name()).containsExactly("k1");
        g.learned(KeyChoice.named("k2"), null, A, "myvg/mylv"); // something is recorded already: left as it is
        assertThat(s.keysFor(A)).extracting(k -> k.name()).containsExactly("k1");
        g.learned(KeyChoice.passphrase("not a key of the store"), "not a key of the store".getBytes(), B, "x/y");
        assertThat(s.keysFor(B)).isEmpty();
    }
}
