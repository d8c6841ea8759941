package io.cryptvol.testvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import io.cryptvol.sandbox.QemuInstance;

/**
 * Power as EC2 gives it, on an instance of its own (it has an instance-store disk, which the shared instance
 * has not): a reboot keeps every disk and shuffles the NVMe order, a {@code reboot} typed on the guest does
 * the same, power-off/power-on keeps the EBS disks (also those attached or detached while off) and gives the
 * instance store back empty, a {@code poweroff} typed on the guest tells the listener. The methods run in
 * order, each from the state the previous one left.
 */
@Tag("vm")
@ExtendWith(VmClassTimer.class)
@org.junit.jupiter.api.TestInstance(Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PowerVmTest {
    private static final long MIB = 1024 * 1024;

    private QemuInstance instance;
    private TestVm vm;
    private List<String> ebs;
    private String store;
    private final Map<String, String> sums = new LinkedHashMap<>();
    private final CountDownLatch guestPowerOff = new CountDownLatch(1);

    @BeforeAll
    void boot() {
        instance = new QemuInstance(QemuInstance.Options.defaults().withInstanceStore(1, 64 * MIB));
        instance.onGuestPowerOff(guestPowerOff::countDown);
        instance.start();
        vm = new TestVm(instance);
        System.out.printf("power: booted in %.1f s (%s)%n", instance.bootTime().toMillis() / 1000.0, instance.variant());
        ebs = vm.attachNewDisks(3, 64 * MIB);
        store = instance.instanceStoreSerials().get(0);
        assertTrue(store.matches("AWS[0-9A-F]{17}"), store);
    }

    @AfterAll
    void stop() {
        if (vm != null) {
            vm.closeExecutor();
            vm.reset();
        }
        if (instance != null) {
            instance.stop();
        }
    }

    @Test
    @Order(1)
    void rebootKeepsEveryDiskAndShufflesTheNvmeOrder() {
        for (String s : ebs) {
            vm.awaitDevice(s, Duration.ofSeconds(30));
        }
        for (String s : all()) {
            sums.put(s, writeAndSum(s));
        }
        Map<String, String> namesBefore = namesBySerial();
        List<String> orderBefore = instance.lastNvmeOrder();

        // a seed whose order differs from the boot-time order and hot-plug order the guest has now
        List<String> now = pciOrder();
        long seed = 1;
        while (QemuInstance.nvmeOrder(all(), seed).equals(now)) {
            seed++;
        }
        instance.nextBootNvmeSeed(seed);
        reboot(() -> instance.reboot());

        assertEquals(seed, instance.lastNvmeSeed());
        assertEquals(QemuInstance.nvmeOrder(all(), seed), instance.lastNvmeOrder());
        assertNotEquals(orderBefore, instance.lastNvmeOrder());
        // the logged order is the guest's PCI order, and the console log says it
        assertEquals(instance.lastNvmeOrder(), pciOrder());
        assertTrue(log().contains("slot order: " + String.join(" ", instance.lastNvmeOrder())), log());
        assertNotEquals(namesBefore, namesBySerial(), "the same /dev/nvme names after a reboot with another order");
        assertEquals(ebs, instance.attachedSerials());
        for (String s : all()) {
            assertEquals(sums.get(s), sum(s), "contents of " + s + " after a reboot");
        }
    }

    @Test
    @Order(2)
    void rebootTypedOnTheGuestBootsItAgainWithTheSameDisks() {
        int boots = instance.completedBoots();
        vm.sh("systemctl reboot");
        vm.closeExecutor();
        assertTrue(instance.awaitBoots(boots + 1, Duration.ofMinutes(5)), "the guest did not come back after `reboot`");
        assertTrue(instance.poweredOn());
        assertEquals(1, guestPowerOff.getCount(), "a guest reboot told the power-off listener");
        assertEquals(instance.lastNvmeOrder(), pciOrder());
        for (String s : all()) {
            assertEquals(sums.get(s), sum(s), "contents of " + s + " after a guest reboot");
        }
    }

    @Test
    @Order(3)
    void powerOffAndOnKeepsEbsAndEmptiesTheInstanceStore() throws Exception {
        vm.closeExecutor();
        instance.powerOff();
        assertFalse(instance.poweredOn());
        assertEquals(1, guestPowerOff.getCount(), "a host power-off told the guest power-off listener");

        // while stopped: one volume detached, one attached (EC2 allows both)
        String gone = ebs.get(2);
        instance.detachDisk(gone);
        String added = TestVm.newSerial();
        Path addedImage = QemuInstance.createDiskImage(vm.diskDir().resolve(added + ".img"), 64 * MIB);
        Files.write(addedImage, "cryptvol-added-while-stopped".getBytes(), java.nio.file.StandardOpenOption.WRITE);
        instance.attachDisk(added, addedImage);
        assertEquals(List.of(ebs.get(0), ebs.get(1), added), instance.attachedSerials());

        instance.powerOn();
        assertTrue(instance.poweredOn());
        assertEquals(List.of(ebs.get(0), ebs.get(1), added), instance.attachedSerials());
        List<String> guest = pciOrder();
        assertEquals(instance.lastNvmeOrder(), guest);
        assertFalse(guest.contains(gone), guest.toString());
        assertTrue(guest.containsAll(List.of(ebs.get(0), ebs.get(1), added, store)), guest.toString());
        for (String s : List.of(ebs.get(0), ebs.get(1))) {
            assertEquals(sums.get(s), sum(s), "EBS contents of " + s + " after stop/start");
        }
        assertEquals("cryptvol-added-while-stopped", vm.shOk("head -c 28 " + dev(added)));
        // the instance store is new: all zeros
        assertEquals("0", vm.shOk("tr -d '\\000' < " + dev(store) + " | wc -c").trim(), "instance store not wiped");
        ebs = new ArrayList<>(instance.attachedSerials());
    }

    @Test
    @Order(4)
    void poweroffTypedOnTheGuestTellsTheListener() throws Exception {
        vm.sh("systemctl poweroff");
        vm.closeExecutor();
        assertTrue(guestPowerOff.await(3, TimeUnit.MINUTES), "the listener was not told of the guest's poweroff");
        assertFalse(instance.poweredOn());
        assertEquals(ebs, instance.attachedSerials());
        instance.powerOn();
        for (String s : ebs) {
            vm.awaitDevice(s, Duration.ofSeconds(30));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Every disk, in the order the driver shuffles them from: instance store first, then EBS. */
    private List<String> all() {
        List<String> a = new ArrayList<>(List.of(store));
        a.addAll(ebs);
        return a;
    }

    private void reboot(Runnable how) {
        vm.closeExecutor();
        how.run();
        System.out.printf("power: rebooted in %.1f s%n", instance.bootTime().toMillis() / 1000.0);
    }

    private String log() {
        try {
            return Files.readString(instance.consoleLog());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private String dev(String serial) {
        return vm.awaitDevice(serial, Duration.ofSeconds(30));
    }

    /** Writes 1 MiB of random data at 8 MiB into the disk (synced) and returns the whole disk's SHA-256. */
    private String writeAndSum(String serial) {
        String d = dev(serial);
        vm.shOk("dd if=/dev/urandom of=" + d + " bs=1M count=1 seek=8 conv=fsync,notrunc status=none");
        return sum(serial);
    }

    private String sum(String serial) {
        return vm.shOk("sha256sum " + dev(serial) + " | cut -d' ' -f1").trim();
    }

    /** Serial → /dev/nvmeX name in the guest now. */
    private Map<String, String> namesBySerial() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : vm.shOk("for c in /sys/class/nvme/nvme*; do echo \"$(cat $c/serial) ${c##*/}\"; done")
                .split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2) {
                m.put(f[0], f[1]);
            }
        }
        return m;
    }

    /** The guest's NVMe serials sorted by PCI address (the order the controllers sit on the bus). */
    private List<String> pciOrder() {
        List<String> out = new ArrayList<>();
        for (String line : vm.shOk("for c in /sys/class/nvme/nvme*; do echo \"$(basename $(readlink -f $c/device)) "
                + "$(cat $c/serial)\"; done | sort").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2) {
                out.add(f[1]);
            }
        }
        return out;
    }
}
