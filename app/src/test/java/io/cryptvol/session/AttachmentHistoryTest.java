package io.cryptvol.session;

import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.PhysicalVolume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attachment history of the inventory: every host observation records each EBS volume it shows (by its Nitro
 * serial) as attached to the session's instance (or its target), with its device, the time and the PV UUID on it;
 * the newer sighting wins; a dry run records nothing; the file keeps it; a hostile or damaged value is not kept.
 */
class AttachmentHistoryTest {
    static final String PV1 = "AbCdEf-0123-4567-89ab-cdef-0123-456789";
    static final String PV2 = "ZyXwVu-0123-4567-89ab-cdef-0123-456789";
    static final Instant T0 = Instant.parse("2026-11-30T10:00:07Z");

    @TempDir
    Path tmp;

    static HostState host() {
        return HostState.empty().withDevices(List.of(
                        BlockDevice.disk("/dev/nvme0n1", 8L << 30, "vol00000000000000000"),
                        BlockDevice.disk("/dev/nvme1n1", 1L << 30, "vol0aaaaaaaaaaaaaaa1"),
                        BlockDevice.disk("/dev/nvme2n1", 1L << 30, "vol0aaaaaaaaaaaaaaa2"),
                        BlockDevice.disk("/dev/nvme3n1", 1L << 30, "nvme-instance-store-1"),
                        BlockDevice.disk("/dev/nvme4n1", 1L << 30, "vol0aaaa$(reboot)")))
                .withLvm(List.of(new PhysicalVolume("/dev/nvme1n1", PV1, "myvg", 1L << 30, 0),
                        new PhysicalVolume("/dev/nvme2n1", PV2, "myvg", 1L << 30, 0)), List.of(), List.of());
    }

    @Test
    void anObservationRecordsEachEbsVolumeWithItsDeviceAndPv() {
        List<Attachment> a = Inventory.attachmentsOf(host(), "i-0123456789abcdef0", "ssh:root@10.0.0.5:22", T0);
        assertThat(a).extracting(x -> x.volumeId() + " " + x.where() + " " + x.device() + " " + x.pvUuid()).containsExactly(
                "vol-00000000000000000 i-0123456789abcdef0 /dev/nvme0n1 null",
                "vol-0aaaaaaaaaaaaaaa1 i-0123456789abcdef0 /dev/nvme1n1 " + PV1,
                "vol-0aaaaaaaaaaaaaaa2 i-0123456789abcdef0 /dev/nvme2n1 " + PV2);
        // no instance known (or not an instance id): the target it was reached as
        assertThat(Inventory.attachmentsOf(host(), null, "sandbox", T0)).extracting(Attachment::where).containsOnly("sandbox");
        assertThat(Inventory.attachmentsOf(host(), "i-$(x)", "sandbox", T0)).extracting(Attachment::where).containsOnly("sandbox");
    }

    static Stream<Arguments> refusedValues() {
        return Stream.of(
                Arguments.of("volume id with a command", "vol-0abc$(x)", "i-0123456789abcdef0", "/dev/sdg"),
                Arguments.of("volume id too short", "vol-0abc", "i-0123456789abcdef0", "/dev/sdg"),
                Arguments.of("instance with an escape", "vol-0aaaaaaaaaaaaaaa1", "i-0123\u001b[2J", "/dev/sdg"),
                Arguments.of("target with a newline", "vol-0aaaaaaaaaaaaaaa1", "ssh:root@h\n:22", "/dev/sdg"),
                Arguments.of("device outside /dev", "vol-0aaaaaaaaaaaaaaa1", "i-0123456789abcdef0", "/etc/passwd"),
                Arguments.of("device climbing out", "vol-0aaaaaaaaaaaaaaa1", "i-0123456789abcdef0", "/dev/../etc/passwd"),
                Arguments.of("device with a space", "vol-0aaaaaaaaaaaaaaa1", "i-0123456789abcdef0", "/dev/sdg x"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedValues")
    void aHostileValueIsNotKept(String what, String vol, String where, String device) {
        assertThat(Attachment.of(vol, where, device, T0, null)).isEmpty();
    }

    @Test
    void theRefusalWordsNameTheVolumeWhereAndWhen() {
        Attachment a = Attachment.of("vol-0aaaaaaaaaaaaaaa1", "i-0123456789abcdef0", "/dev/sdg", T0, PV1).orElseThrow();
        assertThat(a.describe()).isEqualTo("last seen attached to i-0123456789abcdef0 as /dev/sdg at 2026-11-30T10:00Z");
        assertThat(Attachment.of("vol-0aaaaaaaaaaaaaaa1", "i-0123456789abcdef0", "/dev/sdg", T0, "not-a-pv-uuid"))
                .get().extracting(Attachment::pvUuid).isNull();
    }

    @Test
    void theNewerSightingWinsAndAPvIsRememberedAcrossSightingsWithoutOne() {
        Inventory inv = new Inventory(() -> "sandbox", () -> false, () -> "i-0123456789abcdef0");
        inv.sawAttached(Attachment.of("vol-0aaaaaaaaaaaaaaa1", "i-0123456789abcdef0", "/dev/nvme1n1", T0, PV1).orElseThrow());
        inv.sawAttached(Attachment.of("vol-0aaaaaaaaaaaaaaa1", "i-0fedcba9876543210", "/dev/sdh", T0.plusSeconds(60), null)
                .orElseThrow());
        inv.sawAttached(Attachment.of("vol-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaaa", "/dev/sdz", T0.minusSeconds(60), null)
                .orElseThrow());
        Attachment last = inv.lastAttachment("vol-0aaaaaaaaaaaaaaa1").orElseThrow();
        assertThat(last.where()).isEqualTo("i-0fedcba9876543210");
        assertThat(last.device()).isEqualTo("/dev/sdh");
        assertThat(last.pvUuid()).isEqualTo(PV1);
        assertThat(inv.volumeOfPv(PV1)).map(Attachment::volumeId).contains("vol-0aaaaaaaaaaaaaaa1");
        assertThat(inv.volumeOfPv(PV2)).isEmpty();
        assertThat(inv.lastAttachment("vol-0bbbbbbbbbbbbbbb1")).isEmpty();
    }

    @Test
    void rememberRecordsAndADryRunRecordsNothing() {
        AtomicBoolean dry = new AtomicBoolean(true);
        Inventory inv = new Inventory(() -> "sandbox", dry::get, () -> "i-0123456789abcdef0");
        inv.remember(host());
        assertThat(inv.volumeOfPv(PV1)).isEmpty();
        dry.set(false);
        inv.remember(host());
        assertThat(inv.volumeOfPv(PV2)).get().satisfies(a -> {
            assertThat(a.volumeId()).isEqualTo("vol-0aaaaaaaaaaaaaaa2");
            assertThat(a.device()).isEqualTo("/dev/nvme2n1");
            assertThat(a.where()).isEqualTo("i-0123456789abcdef0");
        });
        // the completion names of the target are not disturbed by it
        assertThat(inv.get("vg")).isEqualTo(Inventory.namesOf(host()).getOrDefault("vg", List.of()));
    }

    @Test
    void theFileKeepsTheHistoryAndDropsADamagedEntry() {
        InventoryStore store = new InventoryStore(tmp.resolve("state/inventory.json"));
        AtomicReference<String> target = new AtomicReference<>("sandbox");
        Inventory a = new Inventory(target::get, () -> false, () -> "i-0123456789abcdef0");
        a.sawAttached(Attachment.of("vol-0aaaaaaaaaaaaaaa1", "i-0123456789abcdef0", "/dev/sdg", T0, PV1).orElseThrow());
        var snap = new java.util.TreeMap<>(a.snapshot());
        var hist = new java.util.TreeMap<>(snap.get(Inventory.ATTACHMENTS));
        hist.put("vol-0ccccccccccccccc1", List.of("i-0123\u001b]0;x\u0007", "/dev/sdg", T0.toString(), ""));
        hist.put("vol-0ccccccccccccccc2", List.of("i-0123456789abcdef0"));
        snap.put(Inventory.ATTACHMENTS, hist);
        store.save(snap);
        Inventory b = new Inventory(target::get, () -> false, () -> null);
        b.restore(store.load());
        assertThat(b.lastAttachment("vol-0aaaaaaaaaaaaaaa1")).map(Attachment::describe)
                .contains("last seen attached to i-0123456789abcdef0 as /dev/sdg at 2026-11-30T10:00Z");
        assertThat(b.volumeOfPv(PV1)).map(Attachment::volumeId).contains("vol-0aaaaaaaaaaaaaaa1");
        assertThat(b.lastAttachment("vol-0ccccccccccccccc1")).isEmpty();
        assertThat(b.lastAttachment("vol-0ccccccccccccccc2")).isEmpty();
        // never offered as a target's names
        assertThat(b.get("vol-0aaaaaaaaaaaaaaa1")).isEmpty();
        assertThat(Optional.ofNullable(b.snapshot().get("sandbox"))).isEmpty();
    }
}
