package io.cryptvol.shell;

import io.cryptvol.exec.TestSshServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shell against a real SSH server (MINA on 127.0.0.1 running commands with /bin/sh): connect
 * with host key checking, select a VG, show the context, and preview a plan with --dry-run.
 */
class SshSessionShellTest {
    @TempDir
    Path home;
    @TempDir
    Path keys;
    TestSshServer server;
    ShellHarness shell;
    Path identity;
    Path knownHosts;

    @BeforeEach
    void start() throws Exception {
        server = new TestSshServer();
        identity = server.writeClientKey(keys);
        knownHosts = keys.resolve("known_hosts");
        shell = new ShellHarness(home, Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        shell.close();
        server.close();
    }

    private String connectLine() {
        return "connect root@127.0.0.1:" + server.port() + " --identity " + identity + " --known-hosts " + knownHosts;
    }

    @Test
    void unknownHostKeyIsRefusedUntilAcceptedExplicitly() throws Exception {
        String out = shell.type(connectLine());
        assertThat(out).startsWith("error: ").contains(server.hostKeyFingerprint());
        assertThat(out.strip().lines()).hasSize(1);
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
        assertThat(server.commandLines).isEmpty();

        out = shell.type(connectLine() + " --accept-new-host-key");
        assertThat(out).contains("connected to root@127.0.0.1:" + server.port());
        assertThat(Files.readString(knownHosts)).contains("[127.0.0.1]:" + server.port());
    }

    @Test
    void aDryRunReplayTrustsANewHostKeyInMemoryOnlyAndLeavesKnownHostsAndContextByteIdentical() throws Exception {
        assertThat(shell.type("use vg before")).contains("using vg before");
        Path context = home.resolve("config/context.json");
        byte[] contextBefore = Files.readAllBytes(context);
        var contextTime = Files.getLastModifiedTime(context);
        Path script = keys.resolve("elsewhere.cvsh");
        Files.writeString(script, connectLine() + " --accept-new-host-key\nuse vg myvg\nmodules load --legacy\n");

        // known_hosts absent before: still absent after
        assertThat(knownHosts).doesNotExist();
        String out = shell.type("replay " + script + " --dry-run");
        assertThat(out).contains("Dry run of " + script + " (3 commands) on local, then root@127.0.0.1:" + server.port())
                .contains("warning: dry run: the new host key " + server.hostKeyFingerprint() + " of root@127.0.0.1:"
                        + server.port() + " is trusted for this dry run only, in memory; " + knownHosts + " is not changed")
                .contains("Dry run of " + script + ": 3 commands, nothing was changed.")
                .contains("modprobe");
        assertThat(knownHosts).doesNotExist();
        assertThat(server.sessionsCreated.get()).isEqualTo(1);

        // known_hosts with other hosts in it: byte for byte the same after
        String otherHost = server.knownHostsLine(server.hostKey).replace("]:" + server.port() + " ", "]:1 ");
        byte[] khBefore = ("# my hosts\n" + otherHost + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(knownHosts, khBefore);
        out = shell.type("replay " + script + " --dry-run");
        assertThat(out).contains("is trusted for this dry run only").contains("nothing was changed.");
        assertThat(Files.readAllBytes(knownHosts)).isEqualTo(khBefore);

        // the session is back where it was, and context.json was never written
        assertThat(shell.prompt()).isEqualTo("cryptvol [before]> ");
        assertThat(Files.readAllBytes(context)).isEqualTo(contextBefore);
        assertThat(Files.getLastModifiedTime(context)).isEqualTo(contextTime);

        // the key was not remembered: a real connect still refuses it, and accepting it for real writes it
        out = shell.type(connectLine());
        assertThat(out).startsWith("error: ").contains("unknown host key").contains(server.hostKeyFingerprint());
        assertThat(shell.type(connectLine() + " --accept-new-host-key")).contains("connected to root@127.0.0.1:" + server.port())
                .doesNotContain("dry run only");
        assertThat(Files.readString(knownHosts)).startsWith(new String(khBefore, java.nio.charset.StandardCharsets.UTF_8))
                .contains("[127.0.0.1]:" + server.port() + " ");
    }

    @Test
    void aConnectionOpenedInADryRunIsNotUsedAfterIt() throws Exception {
        // the session already points at the host (its key unknown); a dry run connects there with the key accepted
        io.cryptvol.session.Target t = io.cryptvol.session.Target.ssh("root@127.0.0.1:" + server.port(),
                identity.toString(), knownHosts.toString());
        shell.bean(io.cryptvol.session.SessionContext.class).setTarget(t);
        Path script = keys.resolve("same.cvsh");
        Files.writeString(script, connectLine() + " --accept-new-host-key\nmodules load --legacy\n");
        assertThat(shell.type("replay " + script + " --dry-run")).contains("is trusted for this dry run only")
                .contains("nothing was changed.");
        assertThat(shell.bean(io.cryptvol.session.SessionContext.class).target()).isEqualTo(t);

        // after it, the key is not trusted: the next command connects afresh and is refused
        String out = shell.type("modules load --legacy --dry-run");
        assertThat(out).startsWith("error: ").contains("unknown host key").contains(server.hostKeyFingerprint());
        assertThat(knownHosts).doesNotExist();
    }

    @Test
    void connectUseContextAndADryRunPlan() throws Exception {
        Files.writeString(knownHosts, server.knownHostsLine(server.hostKey) + "\n");
        assertThat(shell.type(connectLine())).contains("connected to root@127.0.0.1:" + server.port());
        assertThat(shell.type("use vg myvg")).contains("using vg myvg");
        assertThat(shell.prompt()).isEqualTo("cryptvol [root@127.0.0.1:" + server.port() + " myvg]> ");

        String ctx = shell.type("context");
        assertThat(ctx).containsPattern("target\\s+root@127.0.0.1:" + server.port())
                .containsPattern("vg\\s+myvg").containsPattern("connected\\s+true");

        int before = server.commandLines.size();
        String plan = shell.type("modules load --legacy --dry-run");
        assertThat(plan).contains("Load the kernel modules for LUKS (dm_crypt, aes, cbc, essiv, rmd160)")
                .contains("(on root@127.0.0.1:" + server.port() + ")")
                .contains("dry run: nothing was changed");
        // the plan names the exact commands, numbered; persisting goes to modules-load.d
        assertThat(plan).containsPattern("(?m)^\\d+\\. ").contains("/etc/modules-load.d/cryptvol.conf");
        // only read-only observation reached the host: nothing was loaded or written
        assertThat(server.commandLines.subList(before, server.commandLines.size()))
                .allMatch(l -> l.startsWith("cat ") || l.startsWith("sh -c 'cat "))
                .noneMatch(l -> l.contains("modprobe"));
        assertThat(server.sessionsCreated.get()).isEqualTo(1);
    }
}
