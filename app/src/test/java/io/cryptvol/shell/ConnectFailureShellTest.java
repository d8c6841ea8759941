package io.cryptvol.shell;

import io.cryptvol.exec.TestSshServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14 item 12: `connect` to a port where nothing listens says so in one line, as ssh would, with none of
 * MINA's internals (future names, exception classes). The port is the real MINA test server's, closed.
 */
class ConnectFailureShellTest {
    @TempDir
    Path home;
    @TempDir
    Path keys;
    ShellHarness shell;

    @BeforeEach
    void start() throws Exception {
        shell = new ShellHarness(home, Map.of());
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    @Test
    void aClosedPortIsOneLineConnectionRefused() throws Exception {
        int port;
        Path identity;
        try (TestSshServer server = new TestSshServer()) {
            identity = server.writeClientKey(keys);
            port = server.port();
            // the server answers first, so the port was an SSH server's a moment ago
            assertThat(shell.type("connect root@127.0.0.1:" + port + " --identity " + identity
                    + " --known-hosts " + keys.resolve("kh") + " --accept-new-host-key")).contains("connected to");
            shell.type("disconnect");
        }
        String out = shell.type("connect root@127.0.0.1:" + port + " --identity " + identity + " --known-hosts " + keys.resolve("kh"));
        assertThat(out.strip()).isEqualTo("error: cannot connect to root@127.0.0.1:" + port + ": connection refused");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
    }
}
