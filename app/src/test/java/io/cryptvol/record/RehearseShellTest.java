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
        /** Runs at leave, before anything is put back: to look at what the rehearsal used. */
        Runnable atLeave = () -> { };

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
            atLeave.run();
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
    void aRecordingInProgressTakesTheRealRunNotTheRehearsal() throws Exception {
        Path rec = work.resolve("rec.cvsh");
        shell.type("record start " + rec);
        Path file = work.resolve("ok.cvsh");
        Files.writeString(file, "use vg fromscript\n");
        shell.type("replay " + file + " --rehearse --yes");
        shell.type("record stop");
        assertThat(Files.readAllLines(rec).stream().filter(l -> l.startsWith("use vg")).toList())
                .as("once: the real run's line, not the rehearsal's").containsExactly("use vg fromscript");
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

    /**
     * #15: a recording starts with {@code keys generate}; its rehearsal must not meet the real keys ("key 'r1'
     * already exists") nor leave its own behind. It works on a throwaway key store (0700, keys 0600) and key
     * ledger, shredded afterwards, and the real store, ledger and inventory are as they were.
     */
    @Test
    void aRehearsalHasAThrowawayKeyStoreAndPutsBackTheRealOne() throws Exception {
        io.cryptvol.keys.KeyStore keys = shell.bean(io.cryptvol.keys.KeyStore.class);
        io.cryptvol.keys.KeyLedger ledger = shell.bean(io.cryptvol.keys.KeyLedger.class);
        io.cryptvol.session.Inventory inventory = shell.bean(io.cryptvol.session.Inventory.class);
        shell.type("keys generate r1");
        Path realDir = keys.dir();
        byte[] r1 = keys.read("r1");
        byte[] metadata = Files.readAllBytes(keys.metadataFile());
        ledger.record("root@10.0.0.5:22", "/run/cryptvol/k/x.key", "r1"); // a copy the real ledger still lists
        byte[] ledgerBytes = Files.readAllBytes(ledger.file());
        java.util.Map<String, java.util.Map<String, List<String>>> names = inventory.snapshot();
        assertThat(names.get(io.cryptvol.session.Inventory.GLOBAL).get("key")).containsExactly("r1");

        List<String> seen = new ArrayList<>();
        List<Path> throwaway = new ArrayList<>();
        stage.atLeave = () -> {
            Path dir = keys.dir();
            throwaway.add(dir);
            seen.add("names " + keys.names());
            try {
                seen.add("dir " + java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
                for (String n : keys.names()) {
                    seen.add(n + " " + java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.keyFile(n))));
                }
                seen.add("ledger outstanding " + ledger.outstanding().size());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        Path file = work.resolve("setup.cvsh");
        Files.writeString(file, "keys generate r1 r2\nkeys list\n");
        String out = shell.type("replay " + file + " --rehearse-only");
        assertThat(out).contains("rehearsal passed: 2 commands").doesNotContain("already exists");
        assertThat(seen).containsExactly("names [r1, r2]", "dir rwx------", "r1 rw-------", "r2 rw-------",
                "ledger outstanding 0");
        assertThat(throwaway).singleElement().isNotEqualTo(realDir);
        assertThat(throwaway.get(0)).as("the throwaway store is shredded").doesNotExist();
        assertThat(throwaway.get(0).getParent().getParent()).as("no throwaway directory left")
                .isDirectoryNotContaining("glob:**/rehearsal-*");

        assertThat(keys.dir()).isEqualTo(realDir);
        assertThat(keys.names()).containsExactly("r1");
        assertThat(keys.read("r1")).isEqualTo(r1);
        assertThat(Files.readAllBytes(keys.metadataFile())).isEqualTo(metadata);
        assertThat(Files.readAllBytes(ledger.file())).isEqualTo(ledgerBytes);
        assertThat(inventory.snapshot()).isEqualTo(names);
        assertThat(shell.type("keys list")).contains("r1").doesNotContain("r2");
    }
}
