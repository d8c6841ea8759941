package io.cryptvol.host;

import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.parse.FuserParser;
import io.cryptvol.exec.LocalExecutor;
import org.junit.jupiter.api.Test;

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
}
