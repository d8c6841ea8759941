package io.cryptvol.keys;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepCommand;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The enrollment hook on the real {@link PlanRunner}, against a host whose LUKS header changes as the steps run:
 * which key ends up recorded in which slot, after a format, an add-key, a re-format, a restored copy's new UUID,
 * a failed step and a run that does not change the host (dry run).
 */
public class EnrollmentRecorderTest {
    public static final String DEV = "/dev/myvg/mylv";
    public static final String OLD = "11111111-1111-4111-8111-111111111111";
    public static final String NEW = "22222222-2222-4222-8222-222222222222";

    @TempDir
    Path home;

    /** A host with one LUKS1 header (or none) that luksFormat, luksAddKey and luksUUID change. */
    public static final class FakeHost implements HostExecutor {
        String uuid;
        TreeSet<Integer> slots = new TreeSet<>();
        boolean failAddKey;
        boolean changes = true;
        String formatUuid = NEW;
        final List<String> ran = new ArrayList<>();

        public FakeHost(String uuid, Integer... slots) {
            this.uuid = uuid;
            this.slots.addAll(List.of(slots));
        }

        @Override
        public ExecResult run(HostCommand c) {
            List<String> a = c.argv();
            ran.add(String.join(" ", a));
            if (a.get(0).equals("cryptsetup")) {
                switch (a.get(1)) {
                    case "luksDump" -> {
                        return uuid == null ? result(1, "") : result(0, dump());
                    }
                    case "luksFormat" -> {
                        uuid = formatUuid;
                        slots = new TreeSet<>(List.of(0));
                    }
                    case "luksAddKey" -> {
                        if (failAddKey) {
                            return result(1, "");
                        }
                        int free = 0;
                        while (slots.contains(free)) {
                            free++;
                        }
                        slots.add(free);
                    }
                    case "luksUUID" -> uuid = a.get(a.indexOf("--uuid") + 1);
                    default -> {
                    }
                }
            }
            return result(0, "");
        }

        @Override
        public String target() {
            return "fake";
        }

        @Override
        public boolean changesHost() {
            return changes;
        }

        String dump() {
            StringBuilder s = new StringBuilder("LUKS header information for " + DEV + "\n\nVersion:       \t1\n"
                    + "Cipher name:   \taes\nCipher mode:   \tcbc-essiv:sha256\nHash spec:     \tripemd160\n"
                    + "Payload offset:\t4096\nMK bits:       \t256\nUUID:          \t" + uuid + "\n\n");
            for (int i = 0; i < 8; i++) {
                s.append("Key Slot ").append(i).append(slots.contains(i) ? ": ENABLED\n" : ": DISABLED\n");
            }
            return s.toString();
        }

        static ExecResult result(int rc, String out) {
            return new ExecResult(rc, out.getBytes(StandardCharsets.UTF_8), new byte[0], Duration.ZERO);
        }
    }

    static PlanStep format(String key) {
        return PlanStep.withKey(StepKind.LUKS_FORMAT, Cryptsetup.luksFormat(DEV, LuksOptions.defaults()), KeyRef.named(key));
    }

    static PlanStep addKey(String existing, String newKey) {
        String file = KeyFiles.path("t0k3n");
        return new PlanStep(StepKind.LUKS_ADD_KEY, "Add key", List.of(
                StepCommand.withKey(KeyFiles.write(file), KeyRef.named(newKey)),
                StepCommand.withKey(Cryptsetup.luksAddKey(DEV, file, Kdf.pbkdf2()), KeyRef.named(existing))),
                List.of(StepCommand.of(KeyFiles.shred(file))), false);
    }

    static PlanStep newUuid() {
        return PlanStep.of(StepKind.NEW_LUKS_UUID, Cryptsetup.luksUuid(DEV, NEW));
    }

    /** (what, host before, records before the run, steps, add-key fails, expected "key:uuid-prefix:slot" after). */
    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of("format, then add-key: k1 in slot 0, k2 in slot 1", new FakeHost(null), List.of(),
                        List.of(format("k1"), addKey("k1", "k2")), false, true,
                        List.of("k1:22222222:0", "k2:22222222:1")),
                Arguments.of("add-key on a header with slots 0 and 1: the new key in slot 2", new FakeHost(OLD, 0, 1),
                        List.of("k1:" + OLD + ":0"), List.of(addKey("k1", "k3")), false, true,
                        List.of("k1:11111111:0", "k3:11111111:2")),
                Arguments.of("a re-format forgets the old header's enrollments", new FakeHost(OLD, 0, 1),
                        List.of("k1:" + OLD + ":0", "k2:" + OLD + ":1"), List.of(format("k3")), false, true,
                        List.of("k3:22222222:0")),
                Arguments.of("a restored copy's new UUID opens with the same keys in the same slots",
                        new FakeHost(OLD, 0, 1), List.of("k1:" + OLD + ":0", "k2:" + OLD + ":1"), List.of(newUuid()),
                        false, true, List.of("k1:11111111:0", "k1:22222222:0", "k2:11111111:1", "k2:22222222:1")),
                Arguments.of("a failed add-key records nothing", new FakeHost(OLD, 0), List.of("k1:" + OLD + ":0"),
                        List.of(addKey("k1", "k2")), true, true, List.of("k1:11111111:0")),
                Arguments.of("a key that is not in the store (a key file) is not recorded", new FakeHost(OLD, 0),
                        List.of(), List.of(addKey("k1", "file:/tmp/x")), false, true, List.of()),
                Arguments.of("an executor that changes nothing (dry run) records nothing", new FakeHost(null),
                        List.of(), List.of(format("k1")), false, false, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void recordsWhatTheHostSaysChanged(String what, FakeHost host, List<String> before, List<PlanStep> steps,
                                       boolean addKeyFails, boolean changes, List<String> expected) {
        KeyStore store = new KeyStore(home.resolve("keys"), home.resolve("keys.json"));
        store.generate(List.of("k1", "k2", "k3"), 64);
        for (String b : before) {
            String[] p = b.split(":");
            store.recordEnrollment(p[0], p[1], Integer.parseInt(p[2]), "myvg/mylv");
        }
        host.failAddKey = addKeyFails;
        host.changes = changes;
        List<String> warnings = new ArrayList<>();
        PlanRunner runner = new PlanRunner(host, ref -> new byte[32], null,
                new EnrollmentRecorder(host, store, warnings::add));
        if (addKeyFails) {
            assertThatThrownBy(() -> runner.run(new Plan("t", steps))).isInstanceOf(PlanRunner.StepFailedException.class);
        } else {
            runner.run(new Plan("t", steps));
        }
        List<String> got = new ArrayList<>();
        for (KeyInfo k : store.list()) {
            for (Enrollment e : k.enrollments()) {
                got.add(k.name() + ":" + e.luksUuid().substring(0, 8) + ":" + e.slot());
                assertThat(e.label()).isEqualTo("myvg/mylv");
            }
        }
        assertThat(got).as(what).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(warnings).isEmpty();
    }
}
