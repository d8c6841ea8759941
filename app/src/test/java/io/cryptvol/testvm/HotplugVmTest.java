package io.cryptvol.testvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.cryptvol.sandbox.QemuInstance;

/** NVMe hot-plug with EBS-like serials, as AttachVolume / DetachVolume will do it. */
@VmTest
class HotplugVmTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void attachShowsSerialThenDetachRemovesIt(TestVm vm) throws Exception {
        QemuInstance instance = vm.instance();
        String serial = "vol0abc" + TestVm.newSerial().substring(7);
        assertEquals(20, serial.length());
        vm.attachNewDisk(serial, 128 * MIB);
        assertEquals(List.of(serial), instance.attachedSerials());

        String dev = vm.awaitDevice(serial, Duration.ofSeconds(30));
        String ctrl = dev.replaceFirst("^/dev/(nvme\\d+)n\\d+$", "$1");
        assertEquals(serial, vm.shOk("cat /sys/class/nvme/" + ctrl + "/serial").trim());
        Map<String, JsonNode> bySerial = lsblk(vm);
        assertTrue(bySerial.containsKey(serial), bySerial.toString());
        assertEquals(128 * MIB, bySerial.get(serial).path("size").asLong());
        assertEquals(dev, "/dev/" + bySerial.get(serial).path("name").asText());

        instance.detachDisk(serial);
        assertEquals(List.of(), instance.attachedSerials());
        assertFalse(lsblk(vm).containsKey(serial), "detached disk still visible");
        assertFalse(vm.sh("grep -qx " + serial + " /sys/class/nvme/*/serial").ok());
    }

    @Test
    void sixteenDisksFitAndGo(TestVm vm) throws Exception {
        List<String> serials = vm.attachNewDisks(16, 32 * MIB);
        for (String s : serials) {
            vm.awaitDevice(s, Duration.ofSeconds(60));
        }
        assertTrue(lsblk(vm).keySet().containsAll(serials));
        vm.instance().detachAll();
        Set<String> left = lsblk(vm).keySet();
        for (String s : serials) {
            assertFalse(left.contains(s), s + " still visible after detach");
        }
    }

    /** Serial → lsblk entry, from {@code lsblk -J -b -o NAME,SERIAL,SIZE} (whole NVMe disks only). */
    private static Map<String, JsonNode> lsblk(TestVm vm) throws Exception {
        JsonNode root = new ObjectMapper().readTree(vm.shOk("lsblk -J -b -d -o NAME,SERIAL,SIZE"));
        Map<String, JsonNode> out = new HashMap<>();
        List<JsonNode> devs = new ArrayList<>();
        root.path("blockdevices").forEach(devs::add);
        for (JsonNode d : devs) {
            if (d.path("name").asText().startsWith("nvme") && !d.path("serial").isNull()) {
                out.put(d.path("serial").asText().trim(), d);
            }
        }
        return out;
    }
}
