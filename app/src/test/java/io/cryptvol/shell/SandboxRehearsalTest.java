package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.ContextStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rehearsal on the sandbox puts the session back as it found it: target, names, AWS settings, inside or
 * outside the sandbox, and, when it was on the sandbox, on the instance and ports the rehearsal's reset made
 * (not the ones of before the reset: #15's "Connection refused" on a stale port). The sandbox's machine is a
 * fake whose reset gives a new instance on new ports, as the real one does (RehearseVmTest boots the real one);
 * the session, its context file and the AWS settings are the real classes.
 */
class SandboxRehearsalTest {
    static final Target REMOTE = Target.ssh("admin@10.0.0.5", "/home/admin/.ssh/id_ecdsa", null);
    static final Target OTHER = Target.ssh("ops@10.0.0.9", "/home/ops/.ssh/id_ed25519", null);
    static final String REAL_REGION = "eu-west-1";
    static final ContextState SANDBOX_NAMES = new ContextState(Target.ssh("root@127.0.0.1:40001", "/x/id", "/x/kh"),
            "i-01111111111111111", "keptvg", "keptlv", null, null);

    @TempDir
    Path home;
    Sandbox sandbox;
    SessionContext ctx;
    ContextStore store;
    HostAccess hosts;
    AwsAccess aws;
    SandboxSession session;
    FakeMachine machine;
    SandboxRehearsal rehearsal;

    /** The sandbox's lifecycle as the real one behaves: a reset is a new instance on new ports. */
    final class FakeMachine implements SandboxRehearsal.Machine {
        boolean running;
        int generation;
        Sandbox.Status current;
        final java.util.List<String> calls = new java.util.ArrayList<>();

        @Override
        public boolean running() {
            return running;
        }

        @Override
        public Sandbox.Status start() {
            calls.add("start");
            if (!running) {
                generation++;
                running = true;
                current = status(generation);
            }
            return current;
        }

        @Override
        public Sandbox.Status reset() {
            calls.add("reset");
            generation++;
            running = true;
            current = status(generation);
            return current;
        }

        @Override
        public void stop() {
            calls.add("stop");
            running = false;
        }

        @Override
        public Sandbox.Status status() {
            return running ? current : new Sandbox.Status(false, null, null, null, null, 0, null, null, null, List.of(), sandbox.dataDir());
        }

        Sandbox.Status status(int g) {
            Path inst = sandbox.dataDir().resolve("instance");
            return new Sandbox.Status(true, "i-0" + String.valueOf(g).repeat(16), Sandbox.AZ,
                    URI.create("http://127.0.0.1:" + (4560 + g)), "127.0.0.1", 40000 + g,
                    inst.resolve("id_ecdsa"), inst.resolve("known_hosts"), Duration.ofSeconds(20), List.of(), sandbox.dataDir());
        }
    }

    @BeforeEach
    void setUp() {
        System.setProperty("cryptvol.home", home.toString());
        sandbox = SandboxCommands.create(); // never started: its data directory only
        ctx = new SessionContext();
        store = new ContextStore(home.resolve("config/context.json"));
        ctx.restore(new ContextState(REMOTE, "i-0aaaaaaaaaaaaaaaa", "myvg", "mylv", "myenc", "/mnt/data"));
        ctx.addListener(c -> store.save(c.state()));
        hosts = new HostAccess(ctx, (t, acceptNew) -> null);
        aws = new AwsAccess("", REAL_REGION, "", Map.of(), EbsOptions.defaults(), null, 5, null);
        session = newSession();
        machine = new FakeMachine();
        Ui ui = new Ui(new DumbTerminalHolder().terminal, false);
        rehearsal = new SandboxRehearsal(machine, hosts, ctx, aws, session, ui);
    }

    SandboxSession newSession() {
        return new SandboxSession(sandbox, hosts, ctx, store, aws);
    }

    static final class DumbTerminalHolder {
        final DumbTerminal terminal;

        DumbTerminalHolder() {
            try {
                terminal = new DumbTerminal("test", "dumb", new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(),
                        StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @AfterEach
    void tearDown() {
        System.clearProperty("cryptvol.home");
    }

    /** One way the session can be when a rehearsal starts, and what it must be once the rehearsal is over. */
    record Row(String name, boolean sandboxRuns, Consumer<SandboxRehearsalTest> before, Consumer<SandboxRehearsalTest> after) {
    }

    void onSandbox() {
        machine.start();
        session.enter(machine.status(), null);
        ctx.set(SessionContext.Part.VG, "sbvg");
    }

    String endpoint() {
        URI e = aws.settings().endpoint();
        return e == null ? null : e.toString();
    }

    @Test
    void aRehearsalPutsBackWhatItFound() {
        List<Row> rows = List.of(
                new Row("outside, the sandbox stopped: started for the rehearsal, stopped after", false,
                        t -> new ContextStore(t.session.contextFile()).save(SANDBOX_NAMES),
                        t -> {
                            assertThat(new ContextStore(t.session.contextFile()).load())
                                    .as("the sandbox's own names of last time").isEqualTo(SANDBOX_NAMES);
                            assertThat(t.ctx.state()).isEqualTo(new ContextState(REMOTE, "i-0aaaaaaaaaaaaaaaa", "myvg", "mylv", "myenc", "/mnt/data"));
                            assertThat(t.aws.settings().region()).isEqualTo(REAL_REGION);
                            assertThat(t.endpoint()).isNull();
                            assertThat(t.session.inside()).isFalse();
                            assertThat(t.machine.running).isFalse();
                        }),
                new Row("on the sandbox, which the rehearsal resets: on its new instance, new ports, new endpoint", true,
                        SandboxRehearsalTest::onSandbox,
                        t -> {
                            Sandbox.Status now = t.machine.status();
                            assertThat(t.ctx.target().port()).as("the port of the instance the reset made").isEqualTo(now.sshPort());
                            assertThat(t.ctx.instanceId()).isEqualTo(now.instanceId());
                            assertThat(t.ctx.vg()).isEqualTo("sbvg");
                            assertThat(t.endpoint()).isEqualTo(now.ec2Endpoint().toString());
                            assertThat(t.session.inside()).isTrue();
                            t.session.leave(); // and out of it: the context and settings of before the sandbox
                            assertThat(t.ctx.target()).isEqualTo(REMOTE);
                            assertThat(t.ctx.vg()).isEqualTo("myvg");
                            assertThat(t.endpoint()).isNull();
                            assertThat(t.aws.settings().region()).isEqualTo(REAL_REGION);
                        }),
                new Row("inside the sandbox but connected to another host: on that host again", true,
                        t -> {
                            t.onSandbox();
                            t.hosts.connect(OTHER, false);
                            t.ctx.set(SessionContext.Part.VG, "othervg");
                        },
                        t -> {
                            assertThat(t.ctx.target()).isEqualTo(OTHER);
                            assertThat(t.ctx.vg()).isEqualTo("othervg");
                            assertThat(t.endpoint()).as("EBS commands still follow the sandbox").isEqualTo(t.machine.status().ec2Endpoint().toString());
                            assertThat(t.session.inside()).isTrue();
                        }),
                new Row("inside the sandbox with EC2 pointed elsewhere by 'aws use': pointed there again", true,
                        t -> {
                            t.onSandbox();
                            t.aws.configure(null, "us-west-2", "https://ec2.us-west-2.amazonaws.com");
                        },
                        t -> {
                            assertThat(t.endpoint()).isEqualTo("https://ec2.us-west-2.amazonaws.com");
                            assertThat(t.aws.settings().region()).isEqualTo("us-west-2");
                            assertThat(t.ctx.target().port()).isEqualTo(t.machine.status().sshPort());
                        }));
        for (Row row : rows) {
            setUp();
            row.before().accept(this);
            assertThat(machine.running).as(row.name()).isEqualTo(row.sandboxRuns());
            ContextState before = ctx.state();

            rehearsal.enter(before);
            Sandbox.Status stage = machine.status();
            assertThat(ctx.target().port()).as(row.name() + ": during the rehearsal").isEqualTo(stage.sshPort());
            assertThat(endpoint()).as(row.name() + ": during the rehearsal").isEqualTo(stage.ec2Endpoint().toString());
            assertThat(rehearsal.breach()).as(row.name()).isNull();
            ctx.set(SessionContext.Part.VG, "fromscript"); // what the script does stays in the rehearsal

            rehearsal.leave(before);
            try {
                row.after().accept(this);
            } catch (AssertionError e) {
                throw new AssertionError(row.name() + ": " + e.getMessage(), e);
            }
        }
    }
}
