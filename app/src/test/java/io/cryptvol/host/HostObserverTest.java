package io.cryptvol.host;

import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.parse.FuserParser;
import io.cryptvol.exec.LocalExecutor;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.cmd.RawHeader;
import io.cryptvol.domain.model.PvSegment;
import io.cryptvol.domain.parse.RawLuksHeaderParser;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HostObserverTest {

    @Test
    void sectionsSplitAtMarkersWithExitCodes() {
        String out = "\n@@cryptvol-section lsblk\n{\"a\":1}\n\n@@cryptvol-exit 0\n"
                + "\n@@cryptvol-section pvs\n\n@@cryptvol-exit 127\n"
                + "\n@@cryptvol-section blkid /dev/x\n\n@@cryptvol-exit 2\n";
        HostObserver.Sections s = HostObserver.Sections.parse(out, "pvs: not found");
        assertThat(s.require("lsblk")).isEqualTo("{\"a\":1}\n");
        assertThat(s.exit("pvs")).isEqualTo(127);
        assertThat(s.exit("blkid /dev/x")).isEqualTo(2);
        assertThat(s.out("blkid /dev/x")).isEmpty();
        assertThat(s.exit("missing")).isEqualTo(-1);
    }

    /** The probe script really runs in /bin/sh: markers and exit codes come out as the parser expects. */
    @Test
    void probeScriptRunsInARealShell() {
        var r = new LocalExecutor().run(io.cryptvol.domain.cmd.HostCommand.query("probe", "sh", "-c",
                HostObserver.PROBE_SCRIPT.replace("blkid -p -o export", "printf 'TYPE=xfs\\nDEVNAME=%s\\n'"),
                "sh", "/dev/a", "/dev/b").unprivileged());
        HostObserver.Sections s = HostObserver.Sections.parse(r.out(), r.err());
        assertThat(s.exit("blkid /dev/a")).isZero();
        assertThat(s.out("blkid /dev/b")).isEqualTo("TYPE=xfs\nDEVNAME=/dev/b");
    }

    /** psmisc fuser -vm as captured on the test instance: PIDs on stdout, the rest on stderr. */
    @Test
    void fuserPidsOnStdoutTableOnStderr() {
        String stdout = "kernel   812  1033";
        String stderr = "                     USER        PID ACCESS COMMAND\n"
                + "/mnt/data:           root      mount /mnt/data\n"
                + "                     root      ..c.. bash\n"
                + "                     postgres  F.... postgres\n";
        var users = FuserParser.parse(stdout, stderr);
        assertThat(users).extracting(u -> u.pid() + " " + u.user() + " " + u.command())
                .containsExactly("812 root bash", "1033 postgres postgres");
        assertThat(FuserParser.parse("", "")).isEmpty();
    }

    @Test
    void emptyHostStateHasNoKeyChecks() {
        assertThat(HostState.empty().keyChecks()).isEqualTo(List.of());
    }

    @TempDir
    Path tmp;

    /**
     * The guide's observation in a real /bin/sh, with {@code lvm} and {@code pvs} replaced by scripts that print what LVM
     * 2.03.16 printed on the test instance (a 2-stripe LV of an inactive VG; fullreport's "pv" rows come before its
     * "pvseg" rows and carry no pe_start) and log each call. Table: when fullreport works, its "pvseg" rows are the PV
     * segments and {@code pvs} is never run (one LVM scan); when it fails, {@code pvs --segments} gives the same rows.
     * Either way the header bytes read in the same round trip are exactly the chunks computed from the parsed rows.
     */
    @ParameterizedTest(name = "fullreport exit {0}: pvs runs {1} time(s)")
    @CsvSource({"0, 0", "5, 2"})
    void theGuidesSegmentsComeFromTheFullReportAndPvsRunsOnlyWhenItFails(int fullreportExit, int pvsRuns) throws Exception {
        byte[][] pv = {new byte[40000], new byte[40000]}; // two PVs of random bytes
        for (byte[] x : pv) {
            new SecureRandom().nextBytes(x);
        }
        byte[] a = pv[0];
        byte[] b = pv[1];
        Path pa = Files.write(tmp.resolve("pv-a"), a);
        Path pb = Files.write(tmp.resolve("pv-b"), b);
        String devs = pa + "(1)," + pb + "(2)";
        String seg = "{\"pv_name\":\"%s\", \"pv_uuid\":\"u%s\", \"pv_missing\":\"\", \"pe_start\":\"%d\", \"vg_name\":\"cvg\","
                + " \"vg_exported\":\"\", \"vg_extent_size\":\"4096\", \"lv_name\":\"slv\", \"seg_start_pe\":\"0\","
                + " \"stripes\":\"2\", \"stripe_size\":\"4096\", \"devices\":\"" + devs + "\"}";
        String segA = String.format(seg, pa, "a", 100);
        String segB = String.format(seg, pb, "b", 300);
        String full = String.join("\n", "  {", "      \"report\": [", "          {",
                "              \"vg\": [", "                  {\"vg_name\":\"cvg\", \"vg_uuid\":\"vu\", \"vg_size\":\"65536\", "
                        + "\"vg_free\":\"0\", \"vg_extent_size\":\"4096\", \"pv_count\":\"2\", \"lv_count\":\"1\", \"vg_tags\":\"\"}",
                "              ]", "              ,", "              \"pv\": [",
                "                  {\"pv_name\":\"" + pa + "\", \"pv_uuid\":\"ua\", \"vg_name\":\"cvg\", \"pv_size\":\"32768\", \"pv_free\":\"0\"},",
                "                  {\"pv_name\":\"" + pb + "\", \"pv_uuid\":\"ub\", \"vg_name\":\"cvg\", \"pv_size\":\"32768\", \"pv_free\":\"0\"}",
                "              ]", "              ,", "              \"lv\": [",
                "                  {\"lv_name\":\"slv\", \"vg_name\":\"cvg\", \"lv_uuid\":\"lu\", \"lv_size\":\"65536\", \"lv_path\":\"/dev/cvg/slv\", "
                        + "\"lv_dm_path\":\"/dev/mapper/cvg-slv\", \"lv_active\":\"\", \"lv_attr\":\"-wi-------\"}",
                "              ]", "              ,", "              \"pvseg\": [", "                  " + segA + ",", "                  " + segB,
                "              ]", "              ,", "              \"seg\": [",
                "                  {\"lv_uuid\":\"lu\", \"segtype\":\"striped\", \"stripes\":\"2\", \"stripe_size\":\"4096\", "
                        + "\"seg_size\":\"65536\", \"devices\":\"" + devs + "\"}",
                "              ]", "          }", "      ]", "  }");
        String pvsSegments = String.join("\n", "  {", "      \"report\": [", "          {", "              \"pvseg\": [",
                "                  " + segA + ",", "                  " + segB, "              ]", "          }", "      ]", "  }");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path log = tmp.resolve("calls.log");
        Files.writeString(tmp.resolve("full.json"), full);
        Files.writeString(tmp.resolve("pvseg.json"), pvsSegments);
        stub(bin.resolve("lvm"), "echo \"lvm $*\" >> " + log + "; [ " + fullreportExit + " -eq 0 ] || exit " + fullreportExit
                + "; cat " + tmp.resolve("full.json"));
        stub(bin.resolve("pvs"), "echo \"pvs $*\" >> " + log + "; case \"$*\" in *--segments*) cat " + tmp.resolve("pvseg.json")
                + ";; *) echo '{\"report\":[{\"pv\":[]}]}';; esac");
        stub(bin.resolve("vgs"), "echo '{\"report\":[{\"vg\":[]}]}'");
        stub(bin.resolve("lvs"), "echo '{\"report\":[{\"lv\":[]}]}'");
        LocalExecutor local = new LocalExecutor();
        HostExecutor ex = new HostExecutor() {
            @Override
            public ExecResult run(HostCommand c) {
                List<String> argv = new ArrayList<>(c.argv());
                if (argv.get(0).equals("sh")) {
                    argv.set(2, "PATH=" + bin + ":$PATH\n" + argv.get(2));
                }
                return local.run(new HostCommand(argv, c.stdin(), c.stdinSecret(), c.description(), c.timeout(), false, true));
            }

            @Override
            public String target() {
                return "local, lvm stubbed";
            }
        };
        HostObserver o = new HostObserver(ex);
        HostState h = o.observeWithSegments(HostObserver.Scope.of(List.of(), List.of()), null, true);
        List<String> calls = Files.readAllLines(log);
        assertThat(calls.stream().filter(l -> l.startsWith("lvm fullreport"))).hasSize(1);
        assertThat(calls.stream().filter(l -> l.startsWith("pvs "))).hasSize(pvsRuns);
        List<PvSegment> rows = o.segments().orElseThrow();
        assertThat(rows).extracting(PvSegment::pvName).containsExactly(pa.toString(), pb.toString());
        assertThat(rows).extracting(PvSegment::peStartBytes).containsExactly(100L, 300L);
        if (fullreportExit == 0) {
            assertThat(h.lv("cvg", "slv")).hasValueSatisfying(l -> assertThat(l.active()).isFalse());
        }
        List<RawHeader.Chunk> chunks = RawHeader.chunks(rows, "cvg", "slv", RawHeader.BYTES).orElseThrow();
        HostObserver.RawRead read = o.rawHeader("cvg/slv").orElseThrow();
        assertThat(read.chunks()).isEqualTo(RawHeader.line(chunks));
        ByteBuffer want = ByteBuffer.allocate(RawHeader.BYTES).put(a, 4196, 4096).put(b, 8492, 4096).put(a, 8292, 4096)
                .put(b, 12588, 4096);
        assertThat(RawLuksHeaderParser.fromOd(read.hex())).isEqualTo(want.array());
    }

    /**
     * The observation's mounts and its look at fstab's mountpoints, in a real /bin/sh on this machine: the mounts read
     * from /proc/self/mountinfo by the shell are the ones this machine's findmnt lists (same targets, sources, types and
     * options); of fstab's mountpoints only real directories are reported (not a symbolic link to one, a file, a
     * missing path or an escaped name), and only as "a directory" (a path in the scope still gets its closer look).
     */
    @Test
    void mountsAreFindmntsAndFstabDirectoriesAreTestedByTheShell() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mnt/data"));
        Path scoped = Files.createDirectories(tmp.resolve("mnt/scoped"));
        Files.writeString(scoped.resolve("f"), "x");
        Path link = Files.createSymbolicLink(tmp.resolve("mnt/link"), dir);
        Path file = Files.writeString(tmp.resolve("mnt/file"), "x");
        Files.createDirectories(tmp.resolve("mnt/my dir"));
        Path fstab = Files.writeString(tmp.resolve("fstab"), String.join("\n",
                "# /dev/mapper/x " + dir + " xfs noauto 0 0",
                "/dev/mapper/a " + dir + " xfs noauto 0 0",
                "/dev/mapper/b\t" + link + "\txfs noauto 0 0",
                "/dev/mapper/c " + file + " xfs noauto 0 0",
                "/dev/mapper/d " + tmp.resolve("mnt/missing") + " xfs noauto 0 0",
                "/dev/mapper/e " + tmp.resolve("mnt") + "/my\\040dir xfs noauto 0 0",
                "/dev/mapper/f " + scoped + " xfs noauto 0 0")); // no newline at the end
        LocalExecutor local = new LocalExecutor();
        HostExecutor ex = new HostExecutor() {
            @Override
            public ExecResult run(HostCommand c) {
                List<String> argv = new ArrayList<>(c.argv());
                argv.set(2, argv.get(2).replace("/etc/fstab", fstab.toString()));
                return local.run(new HostCommand(argv, c.stdin(), c.stdinSecret(), c.description(), c.timeout(), false, true));
            }

            @Override
            public String target() {
                return "local, fstab in a temporary directory";
            }
        };
        HostState h = new HostObserver(ex).observe(new HostObserver.Scope(List.of(), List.of(), List.of(scoped.toString())), null);
        assertThat(h.pathAt(dir.toString())).hasValue(new io.cryptvol.domain.model.PathInfo(
                io.cryptvol.domain.model.PathInfo.Kind.DIRECTORY, null));
        assertThat(h.pathAt(scoped.toString())).hasValue(io.cryptvol.domain.model.PathInfo.parse("dir-nonempty"));
        for (Path p : List.of(link, file, tmp.resolve("mnt/missing"), tmp.resolve("mnt/my dir"))) {
            assertThat(h.pathAt(p.toString())).as(p.toString()).isEmpty();
        }
        ExecResult f = local.run(HostCommand.query("findmnt", "findmnt", "-J", "-o", "TARGET,SOURCE,FSTYPE,OPTIONS").unprivileged());
        org.junit.jupiter.api.Assumptions.assumeTrue(f.ok(), "findmnt on this machine");
        java.util.function.Function<List<io.cryptvol.domain.model.Mount>, java.util.Set<String>> rows = ms -> ms.stream()
                .map(m -> m.target() + " " + m.source() + " " + m.fstype() + " " + new java.util.TreeSet<>(m.options()))
                .collect(java.util.stream.Collectors.toSet());
        assertThat(h.mounts()).isNotEmpty();
        assertThat(rows.apply(h.mounts())).isEqualTo(rows.apply(io.cryptvol.domain.parse.MountsParser.findmnt(f.out())));
    }

    private static void stub(Path p, String body) throws java.io.IOException {
        Files.writeString(p, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    }
}
