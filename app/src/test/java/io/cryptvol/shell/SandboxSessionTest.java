package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.ContextStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sandbox's context stays in the sandbox: entering diverts the saved context to the sandbox's own file,
 * leaving puts back the session's context of before, and the session's file never points at the sandbox.
 * (The host connection is a fake: the sandbox instance itself is proven in the VM tests.)
 */
class SandboxSessionTest {
    @TempDir
    Path home;
    Sandbox sandbox;
    SessionContext ctx;
    ContextStore store;
    SandboxSession session;
    AwsAccess aws;
    final List<String> opened = new ArrayList<>();

    static final Target REMOTE = Target.ssh("admin@10.0.0.5", "/home/admin/.ssh/id_ecdsa", null);

    @BeforeEach
    void setUp() {
        System.setProperty("cryptvol.home", home.toString());
        sandbox = SandboxCommands.create();
        ctx = new SessionContext();
        store = new ContextStore(home.resolve("config/context.json"));
        ctx.restore(new ContextState(REMOTE, "i-0aaaaaaaaaaaaaaaa", "myvg", "mylv", "myenc", "/mnt/data"));
        store.save(ctx.state());
        ctx.addListener(c -> store.save(c.state()));
        HostAccess hosts = new HostAccess(ctx, (t, acceptNew) -> {
            opened.add(t.display());
            return null;
        });
        aws = new AwsAccess("team", "eu-west-1", "https://ec2.eu-west-1.amazonaws.com", Map.of(), EbsOptions.defaults(), null, 5, null);
        session = new SandboxSession(sandbox, hosts, ctx, store, aws);
    }

    @AfterEach
    void tearDown() {
        System.clearProperty("cryptvol.home");
    }

    Sandbox.Status status(String instance, int port) {
        Path instDir = sandbox.dataDir().resolve("instance");
        return new Sandbox.Status(true, instance, Sandbox.AZ, URI.create("http://127.0.0.1:4566"), "127.0.0.1", port,
                instDir.resolve("id_ecdsa"), instDir.resolve("known_hosts"), Duration.ofSeconds(30), List.of(),
                sandbox.dataDir());
    }

    @Test
    void enteringAndLeavingNeverTouchTheSessionsFile() throws Exception {
        String sessionFile = Files.readString(store.file());
        session.enter(status("i-0bbbbbbbbbbbbbbbb", 40022), null);
        assertThat(session.inside()).isTrue();
        assertThat(ctx.target().display()).isEqualTo("root@127.0.0.1:40022");
        assertThat(ctx.instanceId()).isEqualTo("i-0bbbbbbbbbbbbbbbb");
        assertThat(ctx.vg()).isNull(); // the remote host's names mean nothing on the sandbox
        ctx.set(SessionContext.Part.VG, "sandboxvg");
        assertThat(Files.readString(store.file())).isEqualTo(sessionFile);
        assertThat(new ContextStore(session.contextFile()).load().vg()).isEqualTo("sandboxvg");
        assertThat(aws.settings().endpoint()).as("EBS commands go to the sandbox's endpoint").hasToString("http://127.0.0.1:4566");
        assertThat(aws.settings().region()).isEqualTo("us-east-1");
        assertThat(aws.settings().profile()).isEqualTo("team");

        session.leave();
        assertThat(session.inside()).isFalse();
        assertThat(ctx.state()).isEqualTo(new ContextState(REMOTE, "i-0aaaaaaaaaaaaaaaa", "myvg", "mylv", "myenc", "/mnt/data"));
        assertThat(aws.configured()).as("the AWS settings of before").isEqualTo(
                new AwsAccess.Configured("team", "eu-west-1", "https://ec2.eu-west-1.amazonaws.com"));
        assertThat(Files.readString(store.file())).as("what is saved again is the context of before")
                .isEqualTo(sessionFile);
        ctx.set(SessionContext.Part.LV, "otherlv"); // outside again: saves go to the session's file
        assertThat(store.load().lv()).isEqualTo("otherlv");
        assertThat(new ContextStore(session.contextFile()).load().vg()).isEqualTo("sandboxvg");
    }

    @Test
    void theSandboxRemembersItsNamesForItsOwnInstanceOnly() {
        session.enter(status("i-0bbbbbbbbbbbbbbbb", 40022), null);
        ctx.set(SessionContext.Part.VG, "sandboxvg");
        ctx.set(SessionContext.Part.MAPPING, "sbenc");
        session.leave();

        session.enter(status("i-0bbbbbbbbbbbbbbbb", 40100), null); // the same instance after a stop/start: new port
        assertThat(ctx.target().port()).isEqualTo(40100);
        assertThat(ctx.vg()).isEqualTo("sandboxvg");
        assertThat(ctx.mapping()).isEqualTo("sbenc");
        session.leave();

        session.enter(status("i-0cccccccccccccccc", 40200), null); // after a reset: another instance
        assertThat(ctx.vg()).isNull();
        assertThat(ctx.mapping()).isNull();
        // a re-entry (a reboot) keeps the names given
        ctx.set(SessionContext.Part.VG, "v2");
        session.enter(status("i-0cccccccccccccccc", 40300), session.names());
        assertThat(ctx.vg()).isEqualTo("v2");
        session.leave();
        assertThat(ctx.target()).isEqualTo(REMOTE); // one leave undoes however many entries
    }

    @Test
    void aContextLeftOnTheSandboxByAnOlderCryptvolGoesBackToThisMachine() {
        Target dead = Target.ssh("root@127.0.0.1:46649", sandbox.dataDir().resolve("instance/id_ecdsa").toString(), null);
        ctx.restore(new ContextState(dead, "i-0dddddddddddddddd", "vg", null, null, null));
        assertThat(session.isSandboxTarget(dead)).isTrue();
        assertThat(session.isSandboxTarget(REMOTE)).isFalse();
        session.enter(status("i-0bbbbbbbbbbbbbbbb", 40022), null);
        session.leave();
        assertThat(ctx.target()).isEqualTo(Target.LOCAL);
        assertThat(store.load().target()).isEqualTo(Target.LOCAL);
    }

    /** (target, what the one line must say): a target whose identity file is gone cannot be reached. */
    @Test
    void aTargetWhoseIdentityIsGoneIsOneLineWithTheWayOn() {
        Object[][] rows = {
                {Target.ssh("root@127.0.0.1:46649", sandbox.dataDir().resolve("instance/id_ecdsa").toString(), null),
                        "the target root@127.0.0.1:46649 was the sandbox, which is not running: 'sandbox start' (or scripts/cryptvol --sandbox) goes back to it; 'connect local' or 'connect USER@HOST' works elsewhere"},
                {Target.ssh("admin@10.0.0.5", home.resolve("gone_key").toString(), null),
                        "cannot reach admin@10.0.0.5: its identity file " + home.resolve("gone_key") + " is gone; 'connect admin@10.0.0.5 --identity FILE' or 'connect local' to go on"},
        };
        for (Object[] row : rows) {
            assertThatThrownBy(() -> ExecConfig.checkIdentityExists((Target) row[0]))
                    .isInstanceOf(CryptvolException.class).hasMessage((String) row[1])
                    .satisfies(e -> assertThat(((CryptvolException) e).exitCode()).isEqualTo(1));
        }
        ExecConfig.checkIdentityExists(Target.ssh("admin@10.0.0.5", null, null)); // no identity named: ~/.ssh's
    }
}
