package io.cryptvol.shell;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives the shell like a user: context commands, the prompt, persistence across sessions. */
class SessionShellTest {
    @TempDir
    Path home;
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
    void useAndContextShowWhatIsSelectedAndThePromptFollows() throws Exception {
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
        assertThat(shell.type("use vg myvg")).contains("using vg myvg");
        assertThat(shell.type("use lv mylv")).contains("using lv mylv");
        assertThat(shell.type("use mapping myencryptedlv")).contains("using mapping myencryptedlv");
        assertThat(shell.prompt()).isEqualTo("cryptvol [myvg/mylv → myencryptedlv]> ");

        String ctx = shell.type("context");
        assertThat(ctx).containsPattern("target\\s+local");
        assertThat(ctx).containsPattern("vg\\s+myvg");
        assertThat(ctx).containsPattern("lv\\s+mylv");
        assertThat(ctx).containsPattern("mountpoint\\s+-");

        String json = shell.type("context --output json");
        assertThat(json).contains("\"vg\" : \"myvg\"").contains("\"mapping\" : \"myencryptedlv\"");
    }

    @Test
    void selectingAnotherVgClearsTheLv() throws Exception {
        shell.type("use vg a");
        shell.type("use lv l1");
        shell.type("use vg b");
        assertThat(shell.prompt()).isEqualTo("cryptvol [b]> ");
    }

    @Test
    void badInputIsOneClearLineAndChangesNothing() throws Exception {
        shell.type("use vg myvg");
        String out = shell.type("use colour blue");
        assertThat(out.strip()).isEqualTo("error: cannot use 'colour': choose vg, lv, mapping, mountpoint or instance");
        out = shell.type("use mountpoint relative/path");
        assertThat(out.strip()).isEqualTo("error: mountpoint 'relative/path': must be an absolute path");
        assertThat(out).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(shell.prompt()).isEqualTo("cryptvol [myvg]> ");
    }

    @Test
    void contextIsRestoredInTheNextSession() throws Exception {
        shell.type("use vg myvg");
        shell.type("use mountpoint /mnt/data");
        shell.close();
        Path file = home.resolve("config/context.json");
        assertThat(Files.readString(file)).contains("myvg").contains("/mnt/data");
        shell = new ShellHarness(home, Map.of());
        assertThat(shell.prompt()).isEqualTo("cryptvol [myvg @/mnt/data]> ");
    }
}
