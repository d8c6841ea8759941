package io.cryptvol.record;

import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.session.SessionMode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SessionModeTest {

    @Test
    void scopesNestAndRestore() {
        SessionMode m = new SessionMode();
        try (var a = m.enterDryRun()) {
            try (var b = m.enterDryRun(); var y = m.assumingYes()) {
                assertThat(m.dryRun()).isTrue();
                assertThat(m.assumeYes()).isTrue();
            }
            assertThat(m.dryRun()).isTrue();
            assertThat(m.assumeYes()).isFalse();
        }
        assertThat(m.dryRun()).isFalse();
    }

    @Test
    void guardedExecutorPlansChangesAndStillRunsQueriesInDryRun() {
        List<String> ran = new ArrayList<>();
        HostExecutor real = new HostExecutor() {
            @Override
            public ExecResult run(HostCommand c) {
                ran.add(c.argv().get(0));
                return new ExecResult(0, new byte[0], new byte[0], Duration.ZERO);
            }

            @Override
            public String target() {
                return "local";
            }
        };
        SessionMode m = new SessionMode();
        HostExecutor ex = m.guard(real);
        ex.run(HostCommand.of("create PV", "pvcreate", "/dev/a"));
        try (var s = m.enterDryRun()) {
            assertThat(ex.changesHost()).isFalse();
            ex.run(HostCommand.query("list", "lsblk", "-J"));
            ex.run(HostCommand.of("create VG", "vgcreate", "v", "/dev/a"));
        }
        assertThat(ran).containsExactly("pvcreate", "lsblk");
        assertThat(m.planned()).extracting(HostCommand::description).containsExactly("create VG");
        assertThat(ex.changesHost()).isTrue();
    }
}
