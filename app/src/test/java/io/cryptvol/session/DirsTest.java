package io.cryptvol.session;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where cryptvol's files go, from the environment an admin sets (HOME, XDG_*), not the passwd entry. */
class DirsTest {
    @TempDir
    Path tmp;

    @AfterEach
    void realEnvironment() {
        Dirs.environment(null);
        System.clearProperty("cryptvol.home");
    }

    private static void env(Map<String, String> vars) {
        Dirs.environment(vars::get);
    }

    /** HOME, XDG_CONFIG_HOME, XDG_STATE_HOME ("-" = unset) → config dir, state dir, ssh dir. */
    @ParameterizedTest
    @CsvSource({
            "/tmp/x, -, -, /tmp/x/.config/cryptvol, /tmp/x/.local/state/cryptvol, /tmp/x/.ssh",
            "/tmp/x, /cfg, /st, /cfg/cryptvol, /st/cryptvol, /tmp/x/.ssh",
            "/tmp/x, rel/cfg, rel/st, /tmp/x/.config/cryptvol, /tmp/x/.local/state/cryptvol, /tmp/x/.ssh",
            "/tmp/x, '', '', /tmp/x/.config/cryptvol, /tmp/x/.local/state/cryptvol, /tmp/x/.ssh",
    })
    void homeAndXdgAreHonoured(String home, String xdgConfig, String xdgState, String config, String state, String ssh) {
        Map<String, String> vars = new HashMap<>();
        vars.put("HOME", home);
        if (!"-".equals(xdgConfig)) {
            vars.put("XDG_CONFIG_HOME", xdgConfig);
        }
        if (!"-".equals(xdgState)) {
            vars.put("XDG_STATE_HOME", xdgState);
        }
        env(vars);
        assertThat(Dirs.config()).isEqualTo(Path.of(config));
        assertThat(Dirs.state()).isEqualTo(Path.of(state));
        assertThat(Dirs.ssh()).isEqualTo(Path.of(ssh));
        assertThat(io.cryptvol.exec.Transcript.defaultFile()).isEqualTo(Path.of(state, "transcript.log"));
    }

    @Test
    void withoutHomeThePasswdEntryIsTheFallback() {
        env(Map.of());
        assertThat(Dirs.home()).isEqualTo(Path.of(System.getProperty("user.home")));
        env(Map.of("HOME", "relative/home"));
        assertThat(Dirs.home()).isEqualTo(Path.of(System.getProperty("user.home")));
    }

    @Test
    void cryptvolHomeOverridesBoth() {
        env(Map.of("HOME", "/tmp/x", "CRYPTVOL_HOME", "/ignored"));
        System.setProperty("cryptvol.home", tmp.toString());
        assertThat(Dirs.config()).isEqualTo(tmp.resolve("config"));
        assertThat(Dirs.state()).isEqualTo(tmp.resolve("state"));
    }

    @ParameterizedTest
    @CsvSource({
            "~, /tmp/x",
            "~/.ssh/id_ed25519, /tmp/x/.ssh/id_ed25519",
            "~other/id, ~other/id",
            "/abs/~/id, /abs/~/id",
            "rel/id, rel/id",
    })
    void aTypedTildeIsTheHome(String typed, String expected) {
        env(Map.of("HOME", "/tmp/x"));
        assertThat(Dirs.expandHome(typed)).isEqualTo(Path.of(expected));
    }

    @Test
    void aNewPrivateDirIs0700() throws Exception {
        Path d = Dirs.ensurePrivateDir(tmp.resolve("a/b"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwx------");
    }

    @Test
    void anExisting0755DirIsTightenedTo0700() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("state"));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        Dirs.ensurePrivateDir(d);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwx------");
    }

    @Test
    void aSymlinkIsNotFollowed() throws Exception {
        Path real = Files.createDirectory(tmp.resolve("elsewhere"));
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path link = Files.createSymbolicLink(tmp.resolve("state"), real);
        assertThatThrownBy(() -> Dirs.ensurePrivateDir(link)).hasMessageContaining("symbolic link");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(real))).isEqualTo("rwxr-xr-x");
    }
}
