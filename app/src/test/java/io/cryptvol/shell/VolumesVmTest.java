package io.cryptvol.shell;

import io.cryptvol.sandbox.QemuInstance;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.session.Inventory;
import io.cryptvol.stages.TestKeys;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shell over SSH to the test instance, its EBS commands through the real SDK client against the
 * sandbox endpoint, which hot-plugs each attached volume into the instance as an NVMe disk whose serial
 * is the volume id. No device name is typed anywhere.
 */
@VmTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VolumesVmTest {
    static final Pattern ROW = Pattern.compile("(?m)^(\\d)\\s+(vol-[0-9a-f]{17})\\s+1 GiB\\s+gp3\\s+(/dev/sd[f-p])\\s+(/dev/nvme\\d+n1)$");

    @TempDir
    static Path home;
    @TempDir
    static Path data;
    @TempDir
    static Path keyDir;
    static SandboxEc2Server server;
    static ShellHarness shell;
    static String instanceId;
    static final List<String> ids = new ArrayList<>();
    static final List<String> attachNames = new ArrayList<>();
    static final List<String> devices = new ArrayList<>();

    record Row(String id, String device) {
    }

    @BeforeAll
    static void start(TestVm vm) throws Exception {
        QemuInstance instance = vm.instance();
        server = SandboxEc2Server.builder().dataDir(data).build().start();
        instanceId = server.addInstance("us-east-1a", instance);
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(), "cryptvol.aws.sandbox", "true",
                "cryptvol.ebs.device-timeout", "30s"), TestKeys.class);
        assertThat(shell.type("connect root@127.0.0.1:" + instance.sshPort() + " --identity " + instance.identityFile()
                + " --known-hosts " + instance.knownHostsFile())).contains("connected to");
        assertThat(shell.type("use instance " + instanceId)).contains("using instance " + instanceId + " (us-east-1a, running)");
    }

    @AfterAll
    static void stop() {
        if (shell != null) {
            shell.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    @Order(1)
    void createFourVolumesEndsWithFourFreeDevicesFoundBySerial(TestVm vm) throws Exception {
        server.faults().failNext("CreateVolume", 2, "RequestLimitExceeded"); // retried by the SDK

        String out = shell.type("volumes create --count 4 --size 1 --vg datavg --yes");
        System.out.println(out);

        Matcher m = ROW.matcher(out);
        while (m.find()) {
            ids.add(m.group(2));
            attachNames.add(m.group(3));
            devices.add(m.group(4));
        }
        assertThat(ids).as(out).hasSize(4).doesNotHaveDuplicates();
        assertThat(devices).doesNotHaveDuplicates();
        // set order (rows are #1..#4), though the throttled creations finish last
        assertThat(attachNames).containsExactly("/dev/sdf", "/dev/sdg", "/dev/sdh", "/dev/sdi");
        for (int i = 0; i < 4; i++) {
            String serial = "vol" + ids.get(i).substring(4);
            // the device the table names is the guest's NVMe disk whose serial is that volume id
            assertThat(vm.awaitDevice(serial, Duration.ofSeconds(5))).isEqualTo(devices.get(i));
            assertThat(out).containsPattern(Pattern.quote(ids.get(i)) + "\\s+is " + Pattern.quote(devices.get(i)));
        }
        assertThat(server.faults().calls("CreateVolume")).isEqualTo(6);
        assertThat(out).contains("✔ 4 volumes attached to " + instanceId);
        assertThat(shell.bean(Inventory.class).get("device").subList(0, 4)).containsExactlyElementsOf(devices);
        assertThat(shell.bean(Inventory.class).get("volume")).containsAll(ids);

        // free for pv create: no signature, no holders, no PV
        String devs = shell.type("devices");
        for (String d : devices) {
            assertThat(devs).containsPattern("(?m)^" + Pattern.quote(d) + "\\s+1 GiB\\s+disk\\s+" + Pattern.quote(ids.get(devices.indexOf(d))) + ".*free$");
        }
        String pvs = vm.shOk("pvs --noheadings -o pv_name 2>/dev/null; true");
        devices.forEach(d -> assertThat(pvs).doesNotContain(d));

        String list = shell.type("volumes list");
        for (int i = 0; i < 4; i++) {
            assertThat(list).containsPattern(Pattern.quote(ids.get(i)) + "\\s+1 GiB\\s+gp3\\s+in-use\\s+" + instanceId
                    + " " + attachNames.get(i) + "\\s+" + Pattern.quote(devices.get(i)) + "\\s+\\w{8} " + (i + 1) + "/4\\s+datavg");
        }
    }

    @Test
    @Order(2)
    void detachRefusesADeviceInUseAndDetachesAFreeOne(TestVm vm) throws Exception {
        assertThat(ids).as("needs the volumes of the first test").hasSize(4);
        String held = devices.get(0);
        vm.shOk("pvcreate -q " + held + " && vgcreate -q holdvg " + held);

        String out = shell.type("volumes detach " + ids.get(0) + " --yes");
        assertThat(out.lines().filter(l -> l.startsWith("error:")).toList()).containsExactly(
                "error: refused: " + ids.get(0) + " is " + held + " on root@127.0.0.1:" + vm.instance().sshPort()
                        + ", which is in use: PV of volume group holdvg (deactivate and export it first: "
                        + "vgchange -an holdvg && vgexport holdvg); nothing was detached");

        vm.shOk("lvcreate -q -y -l 1 -n hold holdvg");
        out = shell.type("volumes detach " + ids.get(0) + " --yes");
        assertThat(out).contains("holders holdvg-hold").contains("nothing was detached");
        assertThat(server.faults().calls("DetachVolume")).isZero();
        assertThat(vm.instance().attachedSerials()).hasSize(4);

        // a free one goes, after a typed confirmation
        shell.keys("y\n");
        out = shell.type("volumes detach " + ids.get(3));
        assertThat(out).containsPattern(Pattern.quote(ids.get(3)) + "  /dev/sd[f-i]  " + Pattern.quote(devices.get(3)) + " \\(unused\\)").contains("✔ detached " + ids.get(3));
        assertThat(vm.instance().attachedSerials()).doesNotContain("vol" + ids.get(3).substring(4)).hasSize(3);
        assertThat(shell.bean(Inventory.class).get("device")).doesNotContain(devices.get(3));
        assertThat(shell.type("volumes delete " + ids.get(3) + " --yes")).contains("✔ deleted " + ids.get(3));

        vm.shOk("vgremove -q -ff holdvg && pvremove -q " + held);
    }

    @Test
    @Order(3)
    void provisionWithNewVolumesEndsMountedEncryptedAndStriped(TestVm vm) throws Exception {
        TestKeys.generate(keyDir, "k1", "k2");
        int before = vm.instance().attachedSerials().size();
        String out = shell.type("provision --new-volumes 4 --size 1 --vg pvg --lv plv --mapping pcrypt --mountpoint /mnt/p"
                + " --key k1 --key2 k2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --yes");
        System.out.println(out);
        assertThat(out).contains("Creating 4 EBS volumes of 1 GiB").contains("done").doesNotContain("error:");
        assertThat(vm.instance().attachedSerials()).hasSize(before + 4);

        // 4 stripes of 4 KiB over the 4 new NVMe disks, LUKS on the LV, XFS mounted from the mapping
        String lvs = vm.shOk("lvs --noheadings -o stripes,stripe_size,devices --units k pvg/plv");
        assertThat(lvs).contains("4").contains("4.00k");
        List<String> newSerials = new ArrayList<>(vm.instance().attachedSerials());
        newSerials.removeIf(s -> ids.stream().anyMatch(id -> ("vol" + id.substring(4)).equals(s)));
        assertThat(newSerials).hasSize(4);
        for (String serial : newSerials) {
            assertThat(lvs).contains(vm.awaitDevice(serial, Duration.ofSeconds(5)));
        }
        assertThat(vm.shOk("cryptsetup isLuks /dev/pvg/plv && echo luks")).contains("luks");
        assertThat(vm.shOk("findmnt -n -o SOURCE,FSTYPE /mnt/p")).contains("/dev/mapper/pcrypt").contains("xfs");
        assertThat(vm.shOk("grep /mnt/p /etc/fstab")).contains("noauto");

        // and now its volumes cannot be detached: the LV holds them
        String id = shell.type("volumes list -o json").lines().filter(l -> l.contains("\"id\"")).map(l -> l.replaceAll(".*\"(vol-[0-9a-f]+)\".*", "$1"))
                .filter(v -> newSerials.contains("vol" + v.substring(4))).findFirst().orElseThrow();
        out = shell.type("volumes detach " + id + " --yes");
        assertThat(out).contains("refused: " + id).contains("holders pvg-plv").contains("nothing was detached");

        // the same command again: its names are taken now, and that is refused before any volume is created
        int creates = server.faults().calls("CreateVolume");
        out = shell.type("provision --new-volumes 4 --size 1 --vg pvg --lv plv --mapping pcrypt --mountpoint /mnt/p"
                + " --key k1 --key2 k2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --yes");
        assertThat(out.strip()).isEqualTo("error: refused: VG pvg exists already (give another --vg); nothing was created "
                + "(to continue an interrupted provision, give its --devices)");
        assertThat(server.faults().calls("CreateVolume")).isEqualTo(creates);
    }
}
