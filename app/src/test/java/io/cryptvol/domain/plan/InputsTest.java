package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.CipherPreset;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.cmd.LuksType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PathInfo;
import io.cryptvol.domain.plan.Refusal.Reason;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Each validator as a table: input → the accepted (normalised) value, or the refusal's reason and line. */
class InputsTest {

    // ---- mountpoints: raw, force → normalised value, or reason + start of the line ----

    static Stream<Arguments> mountpoints() {
        return Stream.of(
                arguments("/mnt/data", false, "/mnt/data", null, null),
                arguments("/mnt/data/", false, "/mnt/data", null, null),
                arguments("//mnt//data", false, "/mnt/data", null, null),
                arguments("/mnt/./x/", false, "/mnt/x", null, null),
                arguments("/mnt/a/../b", false, "/mnt/b", null, null),
                arguments("/srv/db", false, "/srv/db", null, null),
                arguments("/var/lib/postgresql", false, "/var/lib/postgresql", null, null),
                arguments("/home/shared", false, "/home/shared", null, null),
                arguments("/data", false, "/data", null, null),
                arguments("/", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/': is the root filesystem"),
                arguments("//", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '//': resolves to /"),
                arguments("/mnt/..", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/mnt/..': resolves to /"),
                arguments("/mnt/../../..", true, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/mnt/../../..': resolves to /"),
                arguments("/usr", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/usr': is /usr, which the system owns"),
                arguments("/usr/local/data", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/usr/local/data': is under /usr"),
                arguments("/usr", true, "/usr", null, null),
                arguments("/etc", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/etc': is /etc"),
                arguments("/mnt/../etc", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/mnt/../etc': is (/etc) /etc"),
                arguments("/boot", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/boot': is /boot"),
                arguments("/lib64", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/lib64': is /lib64"),
                arguments("/tmp/x", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/tmp/x': is under /tmp"),
                arguments("/var", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/var': is a system directory"),
                arguments("/var/", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/var/': is (/var) a system directory"),
                arguments("/home", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/home': is a system directory"),
                arguments("/mnt", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/mnt': is a system directory"),
                arguments("/root", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/root'"),
                arguments("/opt", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/opt'"),
                arguments("/srv", false, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/srv'"),
                arguments("/var", true, "/var", null, null),
                arguments("/proc", true, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/proc': is /proc, a kernel"),
                arguments("/sys/x", true, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/sys/x': is under /sys"),
                arguments("/dev/shm/x", true, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/dev/shm/x': is under /dev"),
                arguments("/run/data", true, null, Reason.SYSTEM_DIRECTORY, "mountpoint '/run/data': is under /run"),
                arguments("mnt/data", false, null, Reason.INVALID_MOUNTPOINT, "mountpoint 'mnt/data': must be an absolute path"),
                arguments("", false, null, Reason.INVALID_MOUNTPOINT, "mountpoint: is empty"),
                arguments("/mnt/my data", false, null, Reason.INVALID_MOUNTPOINT, "mountpoint '/mnt/my data': must not contain"),
                arguments("/mnt/a\nb", false, null, Reason.INVALID_MOUNTPOINT, "mountpoint '/mnt/a\\nb': must not contain"),
                arguments("/mnt/\u001b]0;T\u0007", false, null, Reason.INVALID_MOUNTPOINT, "mountpoint '/mnt/\\e]0;T\\a'"),
                arguments("/mnt/" + "x".repeat(256), false, null, Reason.INVALID_MOUNTPOINT, "mountpoint '/mnt/xxx"),
                arguments("/mnt/$(touch${IFS}/tmp/x)", false, null, Reason.INVALID_MOUNTPOINT,
                        "mountpoint '/mnt/$(touch${IFS}/tmp/x)': must not contain '$'"),
                arguments("/mnt/a;reboot", false, null, Reason.INVALID_MOUNTPOINT, "mountpoint '/mnt/a;reboot': must not contain ';'"),
                arguments("/mnt/`id`", false, null, Reason.INVALID_MOUNTPOINT, "mountpoint '/mnt/`id`': must not contain '`'"),
                arguments("/mnt/data#x", false, null, Reason.INVALID_MOUNTPOINT, "mountpoint '/mnt/data#x': must not contain '#'"),
                arguments("/mnt/dätä-1_2.x@y", false, "/mnt/dätä-1_2.x@y", null, null));
    }

    @ParameterizedTest(name = "[{index}] force={1}")
    @MethodSource
    void mountpoints(String raw, boolean force, String value, Reason reason, String line) {
        Inputs.Checked c = Inputs.mountpoint(raw, force);
        if (value != null) {
            assertThat(c.ok()).as(String.valueOf(c.refusal())).isTrue();
            assertThat(c.value()).isEqualTo(value);
        } else {
            assertThat(c.ok()).isFalse();
            assertThat(c.refusal().reason()).isEqualTo(reason);
            assertThat(c.refusal().line()).startsWith(line).doesNotContain("\n").doesNotContain("\u001b");
        }
    }

    // ---- what the host holds at the mountpoint ----

    static Stream<Arguments> onHost() {
        return Stream.of(
                arguments("missing", false, false, null),
                arguments("dir-empty", false, false, null),
                arguments("dir-nonempty", false, false, Reason.MOUNTPOINT_NOT_EMPTY),
                arguments("dir-nonempty", true, false, null),
                arguments("dir-nonempty", false, true, null), // mounted: the mount planners decide
                arguments("file", false, false, Reason.MOUNTPOINT_NOT_DIRECTORY),
                arguments("file", true, false, Reason.MOUNTPOINT_NOT_DIRECTORY),
                arguments("symlink", true, false, Reason.MOUNTPOINT_NOT_DIRECTORY),
                arguments("blocked /etc/passwd", true, false, Reason.MOUNTPOINT_NOT_DIRECTORY));
    }

    @ParameterizedTest(name = "{0} force={1} mounted={2}")
    @MethodSource
    void onHost(String observed, boolean force, boolean mounted, Reason reason) {
        HostState h = HostState.empty().withPath("/mnt/data", PathInfo.parse(observed));
        if (mounted) {
            h = h.withMounts(List.of(new Mount("/dev/mapper/secure", "/mnt/data", "xfs", List.of())));
        }
        List<Refusal> r = Inputs.mountpointOnHost(h, "/mnt/data", force);
        if (reason == null) {
            assertThat(r).isEmpty();
        } else {
            assertThat(r).extracting(Refusal::reason).containsExactly(reason);
        }
        assertThat(Inputs.mountpointOnHost(HostState.empty(), "/mnt/data", force)).as("not observed").isEmpty();
    }

    // ---- mapping, VG and LV names ----

    static Stream<Arguments> names() {
        return Stream.of(
                arguments("mapping", "secure", null),
                arguments("mapping", "my_enc.lv-1+x", null),
                arguments("mapping", "x".repeat(127), null),
                arguments("mapping", "x".repeat(128), "is longer than 127"),
                arguments("mapping", "control", "is the device-mapper's own node"),
                arguments("mapping", ".", "is not a name"),
                arguments("mapping", "..", "is not a name"),
                arguments("mapping", "-x", "must not start with '-'"),
                arguments("mapping", "a/b", "may hold only"),
                arguments("mapping", "", "is empty"),
                arguments("mapping", "a b", "may hold only"),
                arguments("mapping", "a;reboot", "may hold only"),
                arguments("mapping", "a\u001bb", "may hold only"),
                arguments("vg", "myvg", null),
                arguments("vg", "-vg", "must not start with '-'"),
                arguments("vg", "..", "is not a name"),
                arguments("vg", "v/g", "may hold only"),
                arguments("lv", "mylv", null),
                arguments("lv", "data_2", null),
                arguments("lv", "snapshot", "is reserved by LVM"),
                arguments("lv", "snapshot1", "is reserved by LVM"),
                arguments("lv", "pvmove0", "is reserved by LVM"),
                arguments("lv", "x_tdata", "contains '_tdata'"),
                arguments("lv", "a_cmeta_b", "contains '_cmeta'"),
                arguments("lv", "x_rimage_0", "contains '_rimage'"),
                arguments("lv", "x_mlog", "contains '_mlog'"),
                arguments("lv", "x_pmspare", "contains '_pmspare'"),
                arguments("lv", "x_vorigin", "contains '_vorigin'"),
                arguments("lv", ".", "is not a name"),
                arguments("lv", "-l", "must not start with '-'"),
                arguments("lv", "x".repeat(128), "is longer than 127"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource
    void names(String kind, String name, String why) {
        Optional<Refusal> r = switch (kind) {
            case "mapping" -> Inputs.mappingName(name);
            case "vg" -> Inputs.vgName(name);
            default -> Inputs.lvName(name);
        };
        if (why == null) {
            assertThat(r).isEmpty();
        } else {
            assertThat(r).get().extracting(Refusal::reason).isEqualTo(Reason.INVALID_NAME);
            assertThat(r.get().message()).startsWith(why);
            assertThat(r.get().line()).doesNotContain("\u001b");
        }
    }

    // ---- fstab options: raw, --auto → the options written, or the start of the refusal's message ----

    static Stream<Arguments> mountOptions() {
        return Stream.of(
                arguments("rw,noatime,nouuid,noauto", false, "rw,noatime,nouuid,noauto", null),
                arguments("defaults", false, "defaults,noauto", null),
                arguments("rw,noatime", false, "rw,noatime,noauto", null),
                arguments("rw,x-systemd.device-timeout=5s,noauto", false, "rw,x-systemd.device-timeout=5s,noauto", null),
                arguments("rw,noatime,noauto", true, "rw,noatime,nofail,x-systemd.device-timeout=10s", null),
                arguments("defaults,nofail,x-systemd.device-timeout=30s", true, "defaults,nofail,x-systemd.device-timeout=30s", null),
                arguments("rw,auto", false, null, "'auto' would make each boot wait"),
                arguments("auto,noauto", true, null, "give auto or noauto, not both"),
                arguments("rw,noauto 1 1 extra", false, null, "must not contain spaces"),
                arguments("rw\tnoauto", false, null, "must not contain spaces"),
                arguments("rw,noauto\n/dev/sda1 / ext4 defaults 0 1", false, null, "must not contain spaces"),
                arguments("rw,noauto#x", false, null, "must not contain '#'"),
                arguments("rw,$(touch /tmp/x)", false, null, "must not contain '$'"),
                arguments("rw;reboot", false, null, "must not contain ';'"),
                arguments("rw,,noauto", false, null, "have an empty option"),
                arguments("rw,", false, null, "have an empty option"),
                arguments("", false, null, "are empty"),
                arguments("rw,context=a:b", false, "rw,context=a:b,noauto", null),
                arguments("rw,=x", false, null, "option '=x' is not name"),
                arguments("rw,a\u001b[2J", false, null, "must not contain spaces or control"));
    }

    @ParameterizedTest(name = "[{index}] auto={1}")
    @MethodSource
    void mountOptions(String raw, boolean auto, String value, String why) {
        Inputs.Checked c = Inputs.mountOptions(raw, auto);
        if (value != null) {
            assertThat(c.ok()).as(String.valueOf(c.refusal())).isTrue();
            assertThat(c.value()).isEqualTo(value);
            assertThat(c.note() != null).as("a note exactly when the options were changed or --auto")
                    .isEqualTo(auto || !value.equals(raw));
        } else {
            assertThat(c.ok()).isFalse();
            assertThat(c.refusal().reason()).isEqualTo(Reason.INVALID_MOUNT_OPTIONS);
            assertThat(c.refusal().message()).startsWith(why);
            assertThat(c.refusal().line()).doesNotContain("\n").doesNotContain("\u001b");
        }
    }

    // ---- LUKS: options → the subjects refused (empty: accepted) ----

    static LuksOptions luks2(String cipher, int bits, String hash, Kdf kdf) {
        return new LuksOptions(LuksType.LUKS2, cipher, bits, hash, kdf);
    }

    static LuksOptions luks1(String cipher, int bits, String hash) {
        return new LuksOptions(LuksType.LUKS1, cipher, bits, hash, Kdf.pbkdf2());
    }

    static Kdf kdf(String pbkdf, Integer iterTime, Integer iterations, Integer memory, Integer parallel) {
        return new Kdf(pbkdf, iterTime, iterations, memory, parallel);
    }

    static Stream<Arguments> luks() {
        return Stream.of(
                arguments("the default", CipherPreset.LUKS2_DEFAULT.options(), List.of()),
                arguments("the seed's LUKS1", CipherPreset.LEGACY_LUKS1_SEED.options(), List.of()),
                arguments("tests' fast KDF", CipherPreset.LUKS2_DEFAULT.options().withKdf(Kdf.fastForTests()), List.of()),
                arguments("AES-128-XTS", luks2("aes-xts-plain64", 256, "sha256", Kdf.argon2id()), List.of()),
                arguments("serpent XTS", luks2("serpent-xts-plain64", 512, "sha512", Kdf.argon2id()), List.of()),
                arguments("twofish CBC on LUKS1", luks1("twofish-cbc-essiv:sha256", 256, "sha256"), List.of()),
                arguments("adiantum", luks2("xchacha12,aes-adiantum-plain64", 256, "sha256", Kdf.argon2id()), List.of()),
                arguments("argon2i with settings", luks2("aes-xts-plain64", 512, "sha256", kdf("argon2i", 2000, null, 65536, 2)),
                        List.of()),
                arguments("bogus cipher", luks2("bogus x", 512, "sha256", Kdf.argon2id()), List.of("--cipher 'bogus x'")),
                arguments("cipher without mode", luks2("aes", 256, "sha256", Kdf.argon2id()), List.of("--cipher 'aes'")),
                arguments("xts with 384 bits", luks2("aes-xts-plain64", 384, "sha256", Kdf.argon2id()), List.of("--key-size 384")),
                arguments("xts with 128 bits", luks2("aes-xts-plain64", 128, "sha256", Kdf.argon2id()), List.of("--key-size 128")),
                arguments("cbc with 512 bits", luks1("aes-cbc-essiv:sha256", 512, "ripemd160"), List.of("--key-size 512")),
                arguments("adiantum on LUKS1", luks1("xchacha20,aes-adiantum-plain64", 256, "sha256"),
                        List.of("--cipher xchacha20,aes-adiantum-plain64")),
                arguments("bogus hash", luks2("aes-xts-plain64", 512, "md5", Kdf.argon2id()), List.of("--hash 'md5'")),
                arguments("ripemd160 on LUKS2", luks2("aes-xts-plain64", 512, "ripemd160", Kdf.argon2id()),
                        List.of("--hash ripemd160")),
                arguments("bogus pbkdf", luks2("aes-xts-plain64", 512, "sha256", kdf("bogus", null, null, null, null)),
                        List.of("--pbkdf 'bogus'")),
                arguments("iter-time -1", luks2("aes-xts-plain64", 512, "sha256", kdf("argon2id", -1, null, null, null)),
                        List.of("--iter-time -1")),
                arguments("iter-time 0", luks2("aes-xts-plain64", 512, "sha256", kdf("pbkdf2", 0, null, null, null)),
                        List.of("--iter-time 0")),
                arguments("iter-time 10 minutes", luks2("aes-xts-plain64", 512, "sha256", kdf("pbkdf2", 600_000, null, null, null)),
                        List.of("--iter-time 600000")),
                arguments("memory -5", luks2("aes-xts-plain64", 512, "sha256", kdf("argon2id", null, null, -5, null)),
                        List.of("--pbkdf-memory -5")),
                arguments("memory 8 GiB", luks2("aes-xts-plain64", 512, "sha256", kdf("argon2id", null, null, 8 << 20, null)),
                        List.of("--pbkdf-memory 8388608")),
                arguments("parallel 0", luks2("aes-xts-plain64", 512, "sha256", kdf("argon2id", null, null, null, 0)),
                        List.of("--pbkdf-parallel 0")),
                arguments("parallel 64", luks2("aes-xts-plain64", 512, "sha256", kdf("argon2id", null, null, null, 64)),
                        List.of("--pbkdf-parallel 64")),
                arguments("pbkdf2 10 iterations", luks2("aes-xts-plain64", 512, "sha256", kdf("pbkdf2", null, 10, null, null)),
                        List.of("--pbkdf-force-iterations 10")),
                arguments("several at once", luks2("x", 512, "y", kdf("argon2id", -1, null, -5, null)),
                        List.of("--cipher 'x'", "--hash 'y'", "--iter-time -1", "--pbkdf-memory -5")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void luks(String name, LuksOptions o, List<String> refusedSubjects) {
        List<Refusal> r = Inputs.luks(o);
        assertThat(r).extracting(Refusal::subject).containsExactlyElementsOf(refusedSubjects);
        assertThat(r).allSatisfy(x -> assertThat(x.reason()).isEqualTo(Reason.UNSUPPORTED_LUKS_OPTION));
    }

    // ---- stripes: count, PVs, stripe size → the subjects refused ----

    static Stream<Arguments> stripes() {
        return Stream.of(
                arguments(4, 4, 4096L, List.of()),
                arguments(1, 4, 3L, List.of()), // linear: no stripe size
                arguments(2, 4, 4L << 20, List.of()),
                arguments(0, 4, 4096L, List.of("--stripes 0")),
                arguments(-2, 4, 4096L, List.of("--stripes -2")),
                arguments(5, 4, 4096L, List.of("--stripes 5")),
                arguments(4, 4, 3000L, List.of("--stripe-size 3000 bytes")),
                arguments(4, 4, 2048L, List.of("--stripe-size 2048 bytes")),
                arguments(4, 4, -4096L, List.of("--stripe-size -4096 bytes")),
                arguments(4, 4, 8L << 20, List.of("--stripe-size 8388608 bytes")));
    }

    @ParameterizedTest(name = "{0} over {1}, {2} bytes")
    @MethodSource
    void stripes(int stripes, int pvs, long size, List<String> refusedSubjects) {
        assertThat(Inputs.stripes(stripes, pvs, size)).extracting(Refusal::subject).containsExactlyElementsOf(refusedSubjects);
    }

    // ---- the spec and the planners call them ----

    static Stream<Arguments> specs() {
        return Stream.of(
                spec("mountpoint //", b -> b.mountpoint("//"), Reason.SYSTEM_DIRECTORY),
                spec("mountpoint /usr", b -> b.mountpoint("/usr"), Reason.SYSTEM_DIRECTORY),
                spec("mapping control", b -> b.mapping("control"), Reason.INVALID_NAME),
                spec("LV snapshot", b -> b.lv("snapshot"), Reason.INVALID_NAME),
                spec("LV x_tdata", b -> b.lv("x_tdata"), Reason.INVALID_NAME),
                spec("VG -x", b -> b.vg("-x"), Reason.INVALID_NAME),
                spec("stripes 0", b -> b.stripes(0), Reason.INVALID_STRIPES),
                spec("stripe size 3 KiB", b -> b.stripeSizeBytes(3072), Reason.INVALID_STRIPES),
                spec("options with fsck fields", b -> b.mountOptions("rw,noauto 1 1 extra"), Reason.INVALID_MOUNT_OPTIONS),
                spec("bogus cipher", b -> b.luks(luks2("bogus x", 512, "sha256", Kdf.argon2id())),
                        Reason.UNSUPPORTED_LUKS_OPTION));
    }

    static Arguments spec(String name, java.util.function.UnaryOperator<ProvisionSpec.Builder> change, Reason reason) {
        return arguments(name, change, reason);
    }

    static ProvisionSpec.Builder base() {
        return ProvisionSpec.builder().devices("/dev/nvme1n1", "/dev/nvme2n1").vg("myvg").lv("mylv").keys("k")
                .mapping("secure").mountpoint("/mnt/data");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void specs(String name, java.util.function.UnaryOperator<ProvisionSpec.Builder> change, Reason reason) {
        assertThat(base().build().problems()).isEmpty();
        ProvisionSpec s = change.apply(base()).build();
        assertThat(s.problems()).extracting(Refusal::reason).containsExactly(reason);
        // the planner refuses it before it looks at the host: nothing is planned, pvcreate least of all
        assertThat(new ProvisionPlanner(() -> "t").plan(s, HostState.empty()).refusals()).extracting(Refusal::reason)
                .containsExactly(reason);
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("mountpoints")
    void theSpecNormalisesItsMountpoint(String raw, boolean force, String value, Reason reason, String line) {
        if (value != null) {
            ProvisionSpec s = base().mountpoint(raw).force(force).build();
            assertThat(s.mountpoint()).isEqualTo(value);
            assertThat(s.problems()).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("badMappings")
    void everyStagePlannerRefusesABadMappingName(String mapping) {
        StagePlanner p = new StagePlanner(() -> "t");
        HostState h = HostState.empty();
        for (PlanResult r : List.of(p.fsMake(mapping, io.cryptvol.domain.cmd.FsType.XFS, null, h),
                p.luksClose(mapping, h), p.luksOpen("/dev/myvg/mylv", mapping, "k", h),
                p.fstabAdd(mapping, "/mnt/data", io.cryptvol.domain.cmd.FsType.XFS, "rw,noauto", null, h),
                p.mount(mapping, "/mnt/data", io.cryptvol.domain.cmd.FsType.XFS, "rw", h))) {
            assertThat(r.isRefused()).isTrue();
            assertThat(r.refusals()).extracting(Refusal::reason).containsExactly(Reason.INVALID_NAME);
        }
    }

    static Stream<String> badMappings() {
        return Stream.of("control", "..", "-x", "a/b", "a b", "x".repeat(128));
    }
}
