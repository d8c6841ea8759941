package io.cryptvol.testvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.cryptvol.sandbox.QemuInstance;

/**
 * The old custom /init, kept as a build variant only as the boot-time benchmark's baseline (VmBench): it
 * still builds, boots to sshd with the host key from the host, runs lvm2 without udev, and keeps its disks
 * (and what the page cache held) across a reboot.
 */
@Tag("vm")
@ExtendWith(VmClassTimer.class)
class InitVariantVmTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void bootsRunsLvmWithoutUdevAndKeepsItsDisksAcrossAReboot() {
        try (QemuInstance instance = new QemuInstance(QemuInstance.Options.defaults().withVariant("init"))) {
            instance.start();
            TestVm vm = new TestVm(instance);
            System.out.printf("init variant: booted in %.1f s%n", instance.bootTime().toMillis() / 1000.0);
            assertEquals("init", instance.variant());
            assertTrue(vm.shOk("cat /proc/1/cmdline | tr '\\000' ' '").startsWith("/bin/sh /init"),
                    "PID 1 is not the old /init");
            try {
                List<String> serials = vm.attachNewDisks(2, 64 * MIB);
                String a = vm.awaitDevice(serials.get(0), Duration.ofSeconds(30));
                String b = vm.awaitDevice(serials.get(1), Duration.ofSeconds(30));
                vm.shOk("pvcreate -q " + a + " " + b + " && vgcreate -q ivg " + a + " " + b
                        + " && lvcreate -q -i2 -I4 -l100%VG -n ilv ivg && test -b /dev/ivg/ilv"
                        + " && printf cryptvol-init-variant | dd of=/dev/ivg/ilv conv=notrunc status=none");
                List<String> hostKeys = instance.hostKeys();
                vm.closeExecutor();
                instance.reboot();
                assertEquals(hostKeys, instance.hostKeys());
                assertEquals(serials, instance.attachedSerials());
                vm.awaitDevice(serials.get(0), Duration.ofSeconds(30));
                vm.awaitDevice(serials.get(1), Duration.ofSeconds(30));
                assertEquals("cryptvol-init-variant", vm.shOk("vgchange -q -ay ivg >/dev/null && "
                        + "head -c 21 /dev/ivg/ilv"));
            } finally {
                vm.closeExecutor();
                vm.reset();
            }
        }
    }
}
