package io.cryptvol.record;

import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.session.Dirs;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import io.cryptvol.session.Target;
import io.cryptvol.shell.CommandLineCompletion;
import io.cryptvol.shell.ShellHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tab completion through the real shell reads the inventory of the session's current target only, and
 * never reaches a host; a plan that ran refreshes what it offers; a dry run (a command's --dry-run, replay
 * --dry-run) leaves inventory.json byte for byte as it was.
 */
class CompletionInventoryShellTest {
    static final long GIB = 1L << 30;
    /** The host the session reaches; null: opening one is a test failure (Tab must not connect). */
    static volatile HostExecutor host;
    static final AtomicInteger opened = new AtomicInteger();

    @TempDir
    Path home;
    ShellHarness shell;

    static class HostConfig {
        @Bean
        @Primary
        HostAccess testHostAccess(SessionContext ctx, SessionMode mode) {
            return new HostAccess(ctx, (target, acceptNew) -> {
                opened.incrementAndGet();
                if (host == null) {
                    throw new AssertionError("a host was reached for " + target.display());
                }
                return mode.guard(host);
            });
        }
    }

    /** The fixture host, except that changing commands succeed (and change nothing): a plan can "run". */
    static final class AcceptingHost implements HostExecutor {
        final FixtureHost fixture;
        final List<HostCommand> ran = new CopyOnWriteArrayList<>();

        AcceptingHost(FixtureHost fixture) {
            this.fixture = fixture;
        }

        @Override
        public ExecResult run(HostCommand c) {
            if (!c.readOnly()) {
                ran.add(c);
                return new ExecResult(0, new byte[0], new byte[0], Duration.ZERO);
            }
            return fixture.run(c);
        }

        @Override
        public String target() {
            return "fixture";
        }
    }

    @AfterEach
    void close() {
        if (shell != null) {
            shell.close();
        }
        host = null;
        opened.set(0);
    }

    ShellHarness start() throws Exception {
        shell = new ShellHarness(home, Map.of(), HostConfig.class);
        return shell;
    }

    List<String> tab(String... words) {
        return shell.bean(CommandLineCompletion.class).complete(List.of(words));
    }

    @Test
    void tabOffersWhatTheCurrentTargetHasAndNeverReachesAHost() throws Exception {
        Files.createDirectories(home.resolve("state"));
        Files.writeString(home.resolve("state/inventory.json"), "{\"version\":2,\"targets\":{"
                + "\"local\":{\"device\":[\"/dev/vda\"],\"vg\":[\"workstation\"]},"
                + "\"sandbox\":{\"device\":[\"/dev/nvme1n1\",\"/dev/nvme2n1\"],\"vg\":[]},"
                + "\"ssh:root@10.0.0.5:22\":{\"device\":[\"/dev/nvme1n1\",\"/dev/nvme9n1\"],\"vg\":[\"data\"]}}}");
        start();
        assertThat(shell.type("keys generate key1")).doesNotContain("error:"); // the key store: on this machine
        SessionContext ctx = shell.bean(SessionContext.class);
        assertThat(tab("pv", "create", "")).containsExactly("/dev/vda");
        assertThat(tab("use", "vg", "")).containsExactly("workstation");

        // the sandbox, as 'sandbox start' connects to it (its port changes from boot to boot)
        ctx.setTarget(Target.ssh("root@127.0.0.1:41234", Dirs.sandbox().resolve("instance/id").toString(),
                Dirs.sandbox().resolve("instance/known_hosts").toString()));
        assertThat(tab("pv", "create", "")).containsExactly("/dev/nvme1n1", "/dev/nvme2n1");
        assertThat(tab("pv", "create", "/dev/nvme2")).containsExactly("/dev/nvme2n1");
        assertThat(tab("use", "vg", "")).isEmpty();

        ctx.setTarget(Target.ssh("root@10.0.0.5", null));
        assertThat(tab("pv", "create", "")).containsExactly("/dev/nvme1n1", "/dev/nvme9n1");
        assertThat(tab("use", "vg", "")).containsExactly("data");

        // names holding control characters are not offered, neither to the scripts nor at the prompt
        shell.bean(Inventory.class).put("mountpoint", List.of("/mnt/ok", "/mnt/x\u001b]0;T\u0007", "/mnt/n\n$(id)"));
        assertThat(tab("umount", "")).containsExactly("/mnt/ok");
        var provider = shell.bean(io.cryptvol.shell.StageConfig.class).stageMountpointCompletion(shell.bean(Inventory.class));
        assertThat(provider.apply(null)).extracting(org.springframework.shell.CompletionProposal::value).containsExactly("/mnt/ok");

        ctx.setTarget(Target.ssh("root@10.0.0.6", null));
        assertThat(tab("pv", "create", "")).as("a host never observed").isEmpty();
        assertThat(tab("luks", "format", "--key", "")).as("key names are this machine's").containsExactly("key1");
        assertThat(shell.bean(Inventory.class).get("key")).containsExactly("key1");
        assertThat(opened.get()).as("host connections opened by Tab").isZero();
    }

    @Test
    void aPlanThatRanRefreshesWhatTabOffersAndADryRunDoesNot() throws Exception {
        FixtureHost fixture = new FixtureHost(FixtureHost.disks(List.of("vol1", "vol2", "vol3"), GIB));
        AcceptingHost accepting = new AcceptingHost(fixture);
        host = accepting;
        start();
        assertThat(shell.type("vg create myvg /dev/nvme1n1 /dev/nvme2n1 --dry-run")).contains("dry run: nothing was changed");
        assertThat(accepting.ran).isEmpty();
        assertThat(tab("use", "vg", "")).as("a dry run leaves no names").isEmpty();
        assertThat(tab("pv", "create", "")).isEmpty();

        String out = shell.type("vg create myvg /dev/nvme1n1 /dev/nvme2n1 --yes");
        assertThat(out).contains("done");
        assertThat(accepting.ran).extracting(HostCommand::commandLine).anyMatch(l -> l.startsWith("vgcreate myvg"));
        // the fixture host did not change; what Tab offers now comes from the plan that ran
        assertThat(tab("use", "vg", "")).containsExactly("myvg");
        assertThat(tab("pv", "create", "")).contains("/dev/nvme1n1", "/dev/nvme2n1", "/dev/nvme3n1");
        assertThat(shell.bean(Inventory.class).get("device")).as("free devices first")
                .startsWith("/dev/nvme0n1", "/dev/nvme3n1");
    }

    @Test
    void aDryRunLeavesInventoryJsonByteIdentical() throws Exception {
        FixtureHost fixture = new FixtureHost(FixtureHost.disks(List.of("vol1", "vol2", "vol3", "vol4"), GIB));
        host = fixture;
        start();
        shell.type("devices"); // a session that observed the host
        shell.close();
        Path file = home.resolve("state/inventory.json");
        byte[] before = Files.readAllBytes(file);
        assertThat(new String(before)).contains("/dev/nvme1n1");

        start();
        String out = shell.type("vg create myvg /dev/nvme1n1 /dev/nvme2n1 --dry-run");
        assertThat(out).contains("dry run: nothing was changed").doesNotContain("error:");
        shell.type("detach /mnt/mymountpoint --dry-run"); // refused (nothing there), after observing
        shell.type("umount /mnt/elsewhere --dry-run");
        out = shell.type("replay scripts/provision.cvsh --dry-run");
        assertThat(out).contains("nothing was changed").doesNotContain("error:");
        assertThat(out).contains("vgcreate myvg");
        // the combined plan of the replay lays the planned VG over the host: completion would have offered it
        assertThat(tab("use", "vg", "")).isEmpty();
        shell.close();
        shell = null;
        assertThat(fixture.changes).isEmpty();
        assertThat(Files.readAllBytes(file)).as("inventory.json after the dry runs").isEqualTo(before);
    }

    /**
     * #15: {@code devices} and the stage commands refreshed Tab's names by two rules with different noise lists,
     * so what Tab offered depended on which ran last. One rule now: the same names after either.
     */
    @Test
    void devicesAndAStageCommandLeaveTabTheSameNames() throws Exception {
        io.cryptvol.domain.model.HostState s = FixtureHost.disks(List.of("vol1", "vol2", "vol3"), GIB);
        List<io.cryptvol.domain.model.BlockDevice> d = new java.util.ArrayList<>(s.devices());
        io.cryptvol.domain.model.BlockDevice used = d.get(3);
        d.set(3, new io.cryptvol.domain.model.BlockDevice(used.name(), used.path(), used.sizeBytes(), used.serial(),
                used.model(), used.type(), "xfs", null, null, List.of(), null, List.of()));
        d.add(new io.cryptvol.domain.model.BlockDevice("sr0", "/dev/sr0", 1L << 20, null, "QEMU DVD-ROM",
                io.cryptvol.domain.model.DeviceType.OTHER, null, null, null, List.of(), null, List.of()));
        host = new FixtureHost(s.withDevices(d));
        start();
        Inventory inventory = shell.bean(Inventory.class);
        assertThat(shell.type("devices")).contains("/dev/nvme3n1").doesNotContain("error:");
        List<String> fromDevices = inventory.get("device");
        assertThat(fromDevices).as("free first, no optical drive").containsExactly("/dev/nvme0n1", "/dev/nvme1n1",
                "/dev/nvme2n1", "/dev/nvme3n1");
        inventory.put("device", List.of());
        shell.type("luks status");
        assertThat(inventory.get("device")).as("after a stage command's observation").isEqualTo(fromDevices);
    }
}
