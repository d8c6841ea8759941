package io.cryptvol.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EnrollmentTest {
    @TempDir
    Path home;

    @Test
    void enrollmentsAreKeptAcrossReloadsOneKeyPerSlotAndNeverHoldKeyBytes() throws Exception {
        KeyStore store = new KeyStore(home.resolve("keys"), home.resolve("keys.json"));
        store.generate(List.of("k1", "k2"), 64);
        String uuid = "0F1E2D3C-0000-4000-8000-00000000AAAA";
        store.recordEnrollment("k1", uuid, 0, "myvg/mylv");
        store.recordEnrollment("k2", uuid, 1, "myvg/mylv");

        KeyStore again = new KeyStore(home.resolve("keys"), home.resolve("keys.json"));
        assertThat(again.keysFor(uuid.toLowerCase()).stream().map(KeyInfo::name)).containsExactly("k1", "k2");
        assertThat(again.require("k1").enrollments()).singleElement()
                .satisfies(e -> {
                    assertThat(e.slot()).isZero();
                    assertThat(e.label()).isEqualTo("myvg/mylv");
                    assertThat(e.recorded()).isNotNull();
                });

        // slot 1 re-enrolled with k1: k2 no longer opens it
        again.recordEnrollment("k1", uuid, 1, null);
        assertThat(again.require("k2").opens(uuid)).isFalse();
        assertThat(again.require("k1").enrollments()).extracting(Enrollment::slot).containsExactly(0, 1);

        // backups keep the enrollments
        again.backup("k1", Files.createDirectories(home.resolve("usb")));
        assertThat(again.require("k1").enrollments()).hasSize(2);

        again.forgetEnrollment(uuid, 0);
        assertThat(again.require("k1").enrollments()).extracting(Enrollment::slot).containsExactly(1);
        assertThat(again.keysFor("ffffffff-0000-4000-8000-000000000000")).isEmpty();

        String json = Files.readString(home.resolve("keys.json"));
        byte[] key = again.read("k1");
        assertThat(json).doesNotContain(java.util.HexFormat.of().formatHex(key))
                .doesNotContain(java.util.Base64.getEncoder().encodeToString(key));
    }
}
