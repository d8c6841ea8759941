package io.cryptvol.record;

import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import io.cryptvol.shell.ShellHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code replay FILE --rehearse} with the real sandbox: the script runs on a freshly booted sandbox instance
 * (a real kernel in qemu) and the session comes back to where it was. Boots its own sandbox, not the shared
 * test instance.
 */
@Tag("vm")
@org.junit.jupiter.api.extension.ExtendWith(io.cryptvol.testvm.VmClassTimer.class)
class RehearseVmTest {
    @TempDir
    static Path home;
    @TempDir
    static Path work;
    static ShellHarness shell;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("cryptvol.root", Path.of("").toAbsolutePath().toString());
        shell = new ShellHarness(home, Map.of());
    }

    @AfterAll
    static void stop() {
        if (shell != null) {
            shell.close();
        }
    }

    @Test
    void aSmallScriptPassesOnTheSandboxAndTheContextComesBack() throws Exception {
        Path file = work.resolve("small.cvsh");
        // not 'modules load': on the sandbox image it fails (no /etc/modules-load.d), which a rehearsal reports
        Files.writeString(file, "devices\ncontext\n");
        shell.type("use vg mine");
        String out = shell.type("replay " + file + " --rehearse-only");
        assertThat(out).contains("rehearsal passed: 2 commands from " + file + " on sandbox instance i-")
                .contains("context back on local");
        SessionContext ctx = shell.bean(SessionContext.class);
        assertThat(ctx.target()).isEqualTo(Target.LOCAL);
        assertThat(ctx.vg()).isEqualTo("mine");
        assertThat(ctx.instanceId()).isNull();
        assertThat(shell.bean(Sandbox.class).running()).as("a sandbox started for the rehearsal is stopped").isFalse();
    }

    @Test
    void aFailingHostLineIsReportedFromTheRehearsalAndTheRealRunDoesNotStart() throws Exception {
        Path file = work.resolve("bad.cvsh");
        Files.writeString(file, "devices\npv create /dev/nvme9n9\ncontext\n");
        String out = shell.type("replay " + file + " --rehearse --yes");
        assertThat(out).contains("error: rehearsal on sandbox instance i-")
                .contains("nothing was run on local")
                .contains("replay stopped at " + file + ":2 (command 2 of 3) 'pv create /dev/nvme9n9'")
                .doesNotContain("[3/3]").doesNotContain("replayed");
        assertThat(shell.bean(SessionContext.class).target()).isEqualTo(Target.LOCAL);
    }

    /**
     * #15, with the real sandbox: a rehearsal while the sandbox runs resets it (new instance, new ports), and the
     * session that was on it is on the new instance afterwards, its EBS calls on the new endpoint ('devices' answers;
     * it was "Connection refused" on the port of before). The recording's 'keys generate r1 r2' meets a throwaway
     * key store, not the real r1, and leaves nothing in the real one.
     */
    @Test
    void onARunningSandboxTheSessionIsOnTheInstanceTheResetMade() throws Exception {
        io.cryptvol.keys.KeyStore keys = shell.bean(io.cryptvol.keys.KeyStore.class);
        assertThat(shell.type("keys generate r1")).doesNotContain("error:");
        byte[] r1 = keys.read("r1");
        assertThat(shell.type("sandbox start")).doesNotContain("error:");
        Sandbox sandbox = shell.bean(Sandbox.class);
        String first = sandbox.status().instanceId();
        Path file = work.resolve("keys.cvsh");
        Files.writeString(file, "keys generate r1 r2\ndevices\n");
        String out = shell.type("replay " + file + " --rehearse-only --yes");
        assertThat(out).contains("rehearsal passed: 2 commands").doesNotContain("already exists");

        Sandbox.Status now = sandbox.status();
        assertThat(now.instanceId()).as("the reset made a new instance").isNotEqualTo(first);
        SessionContext ctx = shell.bean(SessionContext.class);
        assertThat(ctx.target().port()).isEqualTo(now.sshPort());
        assertThat(ctx.instanceId()).isEqualTo(now.instanceId());
        assertThat(shell.bean(io.cryptvol.aws.AwsAccess.class).settings().endpoint()).isEqualTo(now.ec2Endpoint());
        assertThat(shell.type("devices")).doesNotContain("error:").contains("/dev/");
        assertThat(keys.names()).containsExactly("r1");
        assertThat(keys.read("r1")).isEqualTo(r1);

        assertThat(shell.type("sandbox stop")).doesNotContain("error:");
        assertThat(ctx.target()).isEqualTo(Target.LOCAL);
    }
}
