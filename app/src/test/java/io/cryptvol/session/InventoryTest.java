package io.cryptvol.session;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The completion inventory: names by target, nothing written in a dry run, and its file. */
class InventoryTest {
    @TempDir
    Path tmp;

    @AfterEach
    void clearHome() {
        System.clearProperty("cryptvol.home");
    }

    @Test
    void namesBelongToTheTargetTheyWereSeenOnAndKeyNamesToEveryTarget() {
        AtomicReference<String> target = new AtomicReference<>(Inventory.LOCAL);
        Inventory inv = new Inventory(target::get, () -> false);
        inv.put("device", List.of("/dev/vda"));
        inv.put("key", List.of("key1"));
        target.set(Inventory.SANDBOX);
        assertThat(inv.get("device")).as("the sandbox has not been observed yet").isEmpty();
        inv.put("device", List.of("/dev/nvme1n1", "/dev/nvme2n1"));
        assertThat(inv.get("device")).containsExactly("/dev/nvme1n1", "/dev/nvme2n1");
        assertThat(inv.get("key")).containsExactly("key1");
        target.set("ssh:root@10.0.0.5:22");
        assertThat(inv.get("device")).isEmpty();
        target.set(Inventory.LOCAL);
        assertThat(inv.get("device")).containsExactly("/dev/vda");
        assertThat(inv.snapshot()).isEqualTo(Map.of(
                "local", Map.of("device", List.of("/dev/vda")),
                "sandbox", Map.of("device", List.of("/dev/nvme1n1", "/dev/nvme2n1")),
                "*", Map.of("key", List.of("key1"))));
    }

    @Test
    void theKeyOfATarget() {
        System.setProperty("cryptvol.home", tmp.toString());
        assertThat(Inventory.keyOf(Target.LOCAL)).isEqualTo("local");
        assertThat(Inventory.keyOf(null)).isEqualTo("local");
        assertThat(Inventory.keyOf(Target.ssh("admin@10.0.0.5:2222", null))).isEqualTo("ssh:admin@10.0.0.5:2222");
        assertThat(Inventory.keyOf(Target.ssh("10.0.0.5", "/home/a/.ssh/id", "/home/a/.ssh/known_hosts")))
                .isEqualTo("ssh:root@10.0.0.5:22");
        // the sandbox's instance, on whatever port it got this boot
        for (int port : new int[] {40001, 40002}) {
            Target t = Target.ssh("root@127.0.0.1:" + port, Dirs.sandbox().resolve("instance/id").toString(),
                    Dirs.sandbox().resolve("instance/known_hosts").toString());
            assertThat(Inventory.keyOf(t)).isEqualTo("sandbox");
        }
        assertThat(Inventory.keyOf(Target.ssh("root@127.0.0.1:40001", null, tmp.resolve("sandboxy/known_hosts").toString())))
                .isEqualTo("ssh:root@127.0.0.1:40001");
    }

    @Test
    void aDryRunWritesNothing() {
        AtomicBoolean dry = new AtomicBoolean();
        Inventory inv = new Inventory(() -> Inventory.LOCAL, dry::get);
        inv.put("vg", List.of("data"));
        dry.set(true);
        inv.put("vg", List.of("data", "planned"));
        inv.put("key", List.of("planned-key"));
        inv.expect(Map.of("vg", List.of("planned")));
        inv.ran();
        assertThat(inv.get("vg")).containsExactly("data");
        assertThat(inv.get("key")).isEmpty();
        dry.set(false);
        inv.ran();
        assertThat(inv.get("vg")).as("the expectation of a dry run is not kept").containsExactly("data");
    }

    @Test
    void whatAPlanMakesIsOfferedOnceItRanOnTheTargetItRanOn() {
        AtomicReference<String> target = new AtomicReference<>(Inventory.SANDBOX);
        Inventory inv = new Inventory(target::get, () -> false);
        inv.put("vg", List.of());
        inv.expect(Map.of("vg", List.of("myvg")));
        assertThat(inv.get("vg")).as("not before it ran").isEmpty();
        inv.ran();
        assertThat(inv.get("vg")).containsExactly("myvg");
        inv.ran();
        inv.expect(Map.of("vg", List.of("other")));
        target.set(Inventory.LOCAL);
        inv.ran();
        assertThat(inv.get("vg")).as("another target").isEmpty();
        target.set(Inventory.SANDBOX);
        assertThat(inv.get("vg")).containsExactly("myvg");
        inv.expect(Map.of("vg", List.of("failed")));
        inv.expect(null); // the next plan begins: the one before failed
        inv.ran();
        assertThat(inv.get("vg")).containsExactly("myvg");
    }

    @Test
    void theFileKeepsTargetsApartAndRestoringKeepsFresherNames() throws Exception {
        Path file = tmp.resolve("state/inventory.json");
        InventoryStore store = new InventoryStore(file);
        AtomicReference<String> target = new AtomicReference<>(Inventory.LOCAL);
        Inventory a = new Inventory(target::get, () -> false);
        a.put("device", List.of("/dev/vda"));
        target.set(Inventory.SANDBOX);
        a.put("device", List.of("/dev/nvme1n1"));
        a.put("key", List.of("k"));
        store.save(a.snapshot());
        byte[] first = Files.readAllBytes(file);
        store.save(a.snapshot());
        assertThat(Files.readAllBytes(file)).as("the same names, the same bytes").isEqualTo(first);
        assertThat(new String(first)).startsWith("{\"version\":2,\"targets\":{");

        Inventory b = new Inventory(target::get, () -> false);
        b.put("key", List.of("k", "k2")); // the key store, read on start, before the file
        b.restore(store.load());
        assertThat(b.get("device")).containsExactly("/dev/nvme1n1");
        assertThat(b.get("key")).containsExactly("k", "k2");
        target.set(Inventory.LOCAL);
        assertThat(b.get("device")).containsExactly("/dev/vda");
    }

    /** The first format (one list per kind, for no known target), a damaged file, another version: dropped. */
    @ParameterizedTest
    @ValueSource(strings = {
            "{\"vg\":[\"myvg\"],\"device\":[\"/dev/vda\"]}",
            "{\"version\":3,\"targets\":{\"local\":{\"vg\":[\"x\"]}}}",
            "{\"version\":2,\"targets\":[1,2]}",
            "{\"version\":2,\"targets\":{\"local\":[\"x\"]}}",
            "{\"version\":2,\"targets\":{\"local\":{\"vg\":\"x\"}}}",
            "[]",
            "{not json",
            ""})
    void anOldOrDamagedFileIsDropped(String content) throws Exception {
        Path file = tmp.resolve("inventory.json");
        Files.writeString(file, content);
        InventoryStore store = new InventoryStore(file);
        assertThat(store.load()).isEmpty();
        Inventory inv = new Inventory();
        inv.restore(store.load());
        assertThat(inv.get("vg")).isEmpty();
        assertThat(inv.get("device")).isEmpty();
    }
}
