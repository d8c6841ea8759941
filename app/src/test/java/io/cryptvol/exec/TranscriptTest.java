package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TranscriptTest {
    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void recordsArgvExitAndDurationButNeverSecretBytes() throws Exception {
        byte[] key = new byte[64];
        new SecureRandom().nextBytes(key);
        Path file = dir.resolve("state/cryptvol/transcript.log");
        Transcript transcript = new Transcript(file);
        try (TranscribingExecutor ex = new TranscribingExecutor(
                new LocalExecutor(Duration.ofSeconds(10), "sudo", true), transcript)) {
            // the command echoes its secret stdin to stdout and, in hex, to stderr, then fails
            ex.run(HostCommand.of("Echo the key", "sh", "-c", "cat; od -An -tx1 >&2; exit 2").withSecretStdin(key));
            ex.run(HostCommand.of("Hash stdin", "sha256sum").withStdin("hello".getBytes(StandardCharsets.UTF_8)));
            ex.run(HostCommand.query("List", "sh", "-c", "echo out$((40+2)); echo warn >&2; exit 5"));
        }

        byte[] raw = Files.readAllBytes(file);
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        for (String form : List.of(new String(key, StandardCharsets.ISO_8859_1),
                HexFormat.of().formatHex(key), HexFormat.of().withUpperCase().formatHex(key),
                Base64.getEncoder().encodeToString(key), Base64.getEncoder().withoutPadding().encodeToString(key),
                Base64.getUrlEncoder().withoutPadding().encodeToString(key),
                HexFormat.of().formatHex(key, 0, 8))) {
            assertThat(text).doesNotContain(form);
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        JsonNode first = json.readTree(lines.get(0));
        assertThat(first.get("target").asText()).isEqualTo("local");
        assertThat(first.get("mode").asText()).isEqualTo("run");
        assertThat(first.get("description").asText()).isEqualTo("Echo the key");
        assertThat(first.get("argv").toString()).isEqualTo("[\"sh\",\"-c\",\"cat; od -An -tx1 >&2; exit 2\"]");
        assertThat(first.get("exit").asInt()).isEqualTo(2);
        assertThat(first.get("durationMs").isIntegralNumber()).isTrue();
        assertThat(first.get("stdin").asText()).isEqualTo("<secret, redacted>");
        assertThat(first.has("stderr")).isFalse();
        assertThat(first.get("ts").asText()).endsWith("Z");

        JsonNode second = json.readTree(lines.get(1));
        assertThat(second.get("stdin").asText()).isEqualTo("<5 bytes>");
        assertThat(second.get("exit").asInt()).isZero();
        assertThat(lines.get(1)).doesNotContain("hello").doesNotContain("2cf24dba"); // neither stdin nor stdout

        JsonNode third = json.readTree(lines.get(2));
        assertThat(third.get("readOnly").asBoolean()).isTrue();
        assertThat(third.get("exit").asInt()).isEqualTo(5);
        assertThat(third.get("stderr").asText()).isEqualTo("warn");
        assertThat(lines.get(2)).doesNotContain("out42");
        assertThat(third.has("stdin")).isFalse();
    }

    @Test
    void recordsCommandsThatCouldNotRunAndRethrows() throws Exception {
        Transcript transcript = new Transcript(dir.resolve("t.log"));
        TranscribingExecutor ex = new TranscribingExecutor(
                new LocalExecutor(Duration.ofMillis(200), "sudo", true), transcript);
        assertThatThrownBy(() -> ex.run(HostCommand.of("nap", "sleep", "5")))
                .isInstanceOf(HostExecutionException.class);
        JsonNode line = json.readTree(Files.readAllLines(transcript.file()).get(0));
        assertThat(line.get("exit").isNull()).isTrue();
        assertThat(line.get("error").asText()).isEqualTo("timed out after 200ms: sleep 5");
        assertThat(line.get("argv").toString()).isEqualTo("[\"sleep\",\"5\"]");
    }

    @Test
    void marksDryRunLines() throws Exception {
        Transcript transcript = new Transcript(dir.resolve("t.log"));
        new TranscribingExecutor(new DryRunExecutor(), transcript).run(HostCommand.of("pv", "pvcreate", "/dev/x"));
        JsonNode line = json.readTree(Files.readAllLines(transcript.file()).get(0));
        assertThat(line.get("mode").asText()).isEqualTo("dry-run");
        assertThat(line.get("target").asText()).isEqualTo("dry-run");
    }

    @Test
    void createsTheFileOwnerOnlyAndAppends() throws Exception {
        Path file = dir.resolve("a/b/transcript.log");
        new Transcript(file).ran("local", false, HostCommand.of("t", "true"),
                new ExecResult(0, new byte[0], new byte[0], Duration.ofMillis(3)));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
                .isEqualTo("rwx------");
        // an existing, too-open file is tightened; lines are appended
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        new Transcript(file).ran("local", false, HostCommand.of("t", "false"),
                new ExecResult(1, new byte[0], new byte[0], Duration.ofMillis(3)));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readAllLines(file)).hasSize(2);
    }

    /**
     * Issue 14 item 12: a typed passphrase's length is not in the transcript. Passphrases of different lengths
     * leave lines that differ only in their time stamps and durations, and no line holds the length.
     */
    @Test
    void aPassphraseLeavesNoTraceOfItsLength() throws Exception {
        Path file = dir.resolve("t/transcript.log");
        Transcript transcript = new Transcript(file);
        List<String> passphrases = List.of("hunter2", "correct horse battery staple", "ünïcødé-päss");
        try (TranscribingExecutor ex = new TranscribingExecutor(
                new LocalExecutor(Duration.ofSeconds(10), "sudo", true), transcript)) {
            for (String p : passphrases) {
                ex.run(HostCommand.of("Open with the passphrase", "sh", "-c", "cat >/dev/null")
                        .withSecretStdin(p.getBytes(StandardCharsets.UTF_8)));
                ex.run(HostCommand.of("Open with the passphrase, refused", "sh", "-c", "cat >/dev/null; exit 2")
                        .withSecretStdin(p.getBytes(StandardCharsets.UTF_8)));
            }
        }
        String text = Files.readString(file);
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2 * passphrases.size());
        for (String p : passphrases) {
            assertThat(text).doesNotContain(p);
            for (int len : new int[]{p.length(), p.getBytes(StandardCharsets.UTF_8).length}) {
                assertThat(text).doesNotContainPattern("\\b" + len + " (bytes|chars|characters)");
            }
        }
        List<String> normalised = lines.stream()
                .map(l -> l.replaceAll("\"ts\":\"[^\"]*\"", "").replaceAll("\"durationMs\":\\d+", "")).toList();
        for (int i = 2; i < normalised.size(); i++) {
            assertThat(normalised.get(i)).isEqualTo(normalised.get(i % 2));
        }
    }

    @Test
    void defaultFileIsUnderTheStateDirectory() {
        Path f = Transcript.defaultFile();
        assertThat(f.getFileName().toString()).isEqualTo("transcript.log");
        assertThat(f.getParent().getFileName().toString()).isEqualTo("cryptvol");
        assertThat(f.isAbsolute()).isTrue();
    }
}
