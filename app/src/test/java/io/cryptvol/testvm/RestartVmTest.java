package io.cryptvol.testvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.cryptvol.domain.cmd.HostCommand;

/** A reboot keeps the attached disks and what was written to them. */
@VmTest
class RestartVmTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void restartKeepsDiskContents(TestVm vm) throws Exception {
        String serial = TestVm.newSerial();
        Path image = vm.attachNewDisk(serial, 64 * MIB);
        String dev = vm.awaitDevice(serial, Duration.ofSeconds(30));
        String synced = "cryptvol-marker-fsync-" + serial;
        String cached = "cryptvol-marker-cached-" + serial;
        // one marker forced to the disk, one left in the guest's page cache (restart must flush it)
        SeedProcedureVmTest.ok(vm.executor(), HostCommand.of("dd", "dd", "of=" + dev, "bs=512", "seek=2048",
                "conv=fsync,notrunc", "status=none").withStdin(synced.getBytes(StandardCharsets.US_ASCII)));
        SeedProcedureVmTest.ok(vm.executor(), HostCommand.of("dd", "dd", "of=" + dev, "bs=512", "seek=4096",
                "conv=notrunc", "status=none").withStdin(cached.getBytes(StandardCharsets.US_ASCII)));

        List<String> hostKeysBefore = vm.instance().hostKeys();
        String knownHostsBefore = Files.readString(vm.instance().knownHostsFile());
        vm.restart();

        // like an EC2 reboot: same host key, so known_hosts stays valid for clients that pinned it
        assertEquals(hostKeysBefore, vm.instance().hostKeys());
        if (vm.instance().sshPort() == Integer.parseInt(knownHostsBefore.replaceAll("(?s)^\\[[^]]+\\]:(\\d+).*", "$1"))) {
            assertEquals(knownHostsBefore, Files.readString(vm.instance().knownHostsFile()));
        }
        assertEquals(List.of(serial), vm.instance().attachedSerials());
        String dev2 = vm.awaitDevice(serial, Duration.ofSeconds(30));
        assertEquals(synced, vm.shOk("dd if=" + dev2 + " bs=512 skip=2048 count=1 status=none | tr -d '\\000'"));
        assertEquals(cached, vm.shOk("dd if=" + dev2 + " bs=512 skip=4096 count=1 status=none | tr -d '\\000'"));
        byte[] onHost = Files.readAllBytes(image);
        assertTrue(new String(onHost, 2048 * 512, synced.length(), StandardCharsets.US_ASCII).equals(synced));

        // a disk given at boot can still be unplugged
        vm.instance().detachDisk(serial);
        assertTrue(!vm.sh("grep -qx " + serial + " /sys/class/nvme/*/serial").ok());
    }
}
