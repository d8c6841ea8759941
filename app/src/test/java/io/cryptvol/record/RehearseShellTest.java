package io.cryptvol.record;

import io.cryptvol.session.ContextState;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import io.cryptvol.shell.ShellHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code replay FILE --rehearse} at the prompt, with a fake sandbox stage (the real one is covered by
 * RehearseVmTest): the rehearsal comes first, a failure names FILE:LINE and keeps the real run from starting,
 * and the session context is the one of before.
 */
class RehearseShellTest {
    static final Target SANDBOX = Target.ssh("root@127.0.0.1:2299", "/nonexistent/id", "/nonexistent/kh");

    @TempDir
    Path home;
    @TempDir
    Path work;
    ShellHarness shell;
    FakeStage stage;

    static final class FakeStage implements Replayer.Stage {
        final SessionContext ctx;
        final List<String> events = new ArrayList<>();
        boolean running;

        FakeStage(SessionContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public boolean running() {
            return running;
        }

        @Override
        public String enter(ContextState before) {
            events.add((running ? "reset" : "start") + " from " + before.target().display());
            ctx.restore(new ContextState(SANDBOX, "i-sandbox", before.vg(), before.lv(), before.mapping(), before.mountpoint()));
            return "sandbox instance i-sandbox";
        }

        @Override
        public String breach() {
            return ctx.target().equals(SANDBOX) ? null : "the script changed the target to " + ctx.target().display();
        }

        @Override
        public void leave(ContextState before) {
            events.add("leave, vg was " + ctx.vg());
            ctx.restore(before);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class FakeStageConfig {
        @Bean
        @Primary
        Replayer.Stage fakeStage(SessionContext ctx) {
            return new FakeStage(ctx);
        }
    }

    @BeforeEach
    void start() throws Exception {
        shell = new ShellHarness(home, Map.of(), FakeStageConfig.class);
        stage = (FakeStage) shell.bean(Replayer.Stage.class);
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    @Test
    void aPassingRehearsalThenTheRealRunWithYes() throws Exception {
        Path file = work.resolve("ok.cvsh");
        Files.writeString(file, "use vg fromscript\nuse lv mylv\n");
        shell.type("use vg mine");
        String out = shell.type("replay " + file + " --rehearse --yes");
        assertThat(out).contains("Rehearsal of " + file + " (2 commands) on a fresh sandbox; nothing touches local yet.")
                .contains("rehearsal passed: 2 commands from " + file + " on sandbox instance i-sandbox")
                .contains("context back on local")
                .contains("replayed 2 commands");
        assertThat(out.indexOf("rehearsal passed")).isLessThan(out.lastIndexOf("[1/2]"));
        assertThat(stage.events).containsExactly("start from local", "leave, vg was fromscript");
        assertThat(shell.prompt()).isEqualTo("cryptvol [fromscript/mylv]> ");
    }

    @Test
    void rehearseOnlyLeavesTheContextAsItWas() throws Exception {
        Path file = work.resolve("ok.cvsh");
        Files.writeString(file, "use vg fromscript\n");
        shell.type("use vg mine");
        String out = shell.type("replay " + file + " --rehearse-only");
        assertThat(out).contains("rehearsal passed: 1 command").doesNotContain("replayed");
        assertThat(shell.bean(SessionContext.class).target()).isEqualTo(Target.LOCAL);
        assertThat(shell.prompt()).isEqualTo("cryptvol [mine]> ");
    }

    @Test
    void aBadLineFailsTheRehearsalWithFileLineAndTheRealRunNeverStarts() throws Exception {
        Path file = work.resolve("bad.cvsh");
        Files.writeString(file, String.join("\n", "# second command is wrong", "use vg fromscript",
                "use mountpoint relative/path", "use lv mylv", ""));
        shell.type("use vg mine");
        String out = shell.type("replay " + file + " --rehearse --yes");
        assertThat(out).contains("error: rehearsal on sandbox instance i-sandbox failed after")
                .contains("nothing was run on local")
                .contains("replay stopped at " + file + ":3 (command 2 of 3) 'use mountpoint relative/path'")
                .contains("mountpoint 'relative/path': must be an absolute path")
                .doesNotContain("[3/3]").doesNotContain("replayed");
        assertThat(stage.events).containsExactly("start from local", "leave, vg was fromscript");
        assertThat(shell.prompt()).isEqualTo("cryptvol [mine]> ");
    }

    @Test
    void aRunningSandboxIsResetOnlyAfterAYesAndTheRealRunAsksToo() throws Exception {
        Path file = work.resolve("ok.cvsh");
        Files.writeString(file, "use vg fromscript\n");
        stage.running = true;
        shell.keys("n\n");
        String out = shell.type("replay " + file + " --rehearse");
        assertThat(out).contains("reset it for the rehearsal").contains("rehearsal cancelled");
        assertThat(stage.events).isEmpty();

        shell.keys("y\nn\n");
        out = shell.type("replay " + file + " --rehearse");
        assertThat(out).contains("rehearsal passed").contains("Now run 1 command from " + file + " for real on local? [y/N]")
                .contains("the real run was cancelled");
        assertThat(stage.events).containsExactly("reset from local", "leave, vg was fromscript");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
    }

    @Test
    void aScriptThatLeavesTheSandboxIsStopped() throws Exception {
        Path file = work.resolve("away.cvsh");
        Files.writeString(file, "disconnect\nuse vg x\n");
        String out = shell.type("replay " + file + " --rehearse --yes");
        assertThat(out).contains("rehearsal stopped after " + file + ":1 'disconnect': the script changed the target to local")
                .doesNotContain("[2/2]");
    }
}
