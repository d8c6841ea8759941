package io.cryptvol.record;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.session.Dirs;
import io.cryptvol.session.SessionMode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Properties;

/**
 * Writes every command that succeeded to the active recording, one line each, as it would be typed
 * (see {@link RecordRules}). The active recording is kept in a small state file, so it spans
 * processes: {@code cryptvol record start f.cvsh; cryptvol use vg myvg; cryptvol record stop} records
 * the non-interactive {@code use} too. Nothing is written while a dry run is on.
 */
public class Recorder implements RecordingShell.Listener {
    private final Path stateFile;
    private final SessionMode mode;
    /** True while a rehearsal runs: its lines ran on the sandbox, not where the recording is made. */
    private volatile boolean paused;

    /** The active recording. */
    public record Active(Path file, Instant since) {
    }

    public Recorder(Path stateFile, SessionMode mode) {
        this.stateFile = stateFile;
        this.mode = mode;
    }

    public static Path defaultStateFile() {
        return Dirs.state().resolve("recording.properties");
    }

    /** The recording in progress, or null. */
    public synchronized Active active() {
        if (!Files.isRegularFile(stateFile)) {
            return null;
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(stateFile, StandardCharsets.UTF_8)) {
            p.load(in);
            return new Active(Path.of(p.getProperty("file")), Instant.parse(p.getProperty("since")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Starts recording to {@code file}; it must not exist unless {@code append}, and then it must be a cryptvol script
     * ({@link #existingScript}). Writes the header.
     */
    public synchronized Active start(Path file, boolean append, String version, String target) {
        Active now = active();
        if (now != null) {
            throw new CryptvolException("already recording to " + now.file() + " (record stop first)", ExitCode.USAGE, null);
        }
        Path abs = file.toAbsolutePath().normalize();
        if (Files.exists(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !append) {
            throw new CryptvolException(file + " exists: choose another file, or add --append", ExitCode.USAGE, null);
        }
        boolean newline = false;
        if (Files.exists(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            String text = existingScript(file, abs);
            newline = !text.isEmpty() && !text.endsWith("\n");
        }
        Instant since = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String header = (newline ? "\n" : "") + String.join("\n",
                HEADER + (Files.exists(abs) ? " (continued)" : ""),
                "# date:     " + since,
                "# cryptvol: " + version,
                "# target:   " + target,
                "# Replay:   cryptvol replay " + abs.getFileName() + " [--dry-run] [--var NAME=VALUE]",
                "");
        try {
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            if (!Files.exists(abs)) {
                Files.createFile(abs, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(abs, header, StandardOpenOption.APPEND);
            Dirs.ensurePrivateDir(stateFile.getParent());
            Properties p = new Properties();
            p.setProperty("file", abs.toString());
            p.setProperty("since", since.toString());
            try (var out = Files.newBufferedWriter(stateFile, StandardCharsets.UTF_8)) {
                p.store(out, "cryptvol: the recording in progress");
            }
        } catch (IOException e) {
            throw new CryptvolException("cannot record to " + file + ": " + e.getMessage(), e);
        }
        return new Active(abs, since);
    }

    /** The first line of every recording. */
    public static final String HEADER = "# cryptvol recording";

    /** The largest file {@code --append} takes for a script. */
    static final long MAX_SCRIPT_BYTES = 1 << 20;

    /**
     * The text of an existing file that {@code record start --append} may add to, or a refusal: a regular file (not a
     * link, a directory or a device) of UTF-8 text without control characters (but tab and line ends), that is a
     * recording (its first line is {@link #HEADER}) or a {@code .cvsh} script, and whose lines all parse as script
     * lines. So a jar, a binary or a .bashrc is never written to.
     */
    static String existingScript(Path shown, Path abs) {
        String refusal = "not appending to " + shown + ": ";
        if (!Files.isRegularFile(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new CryptvolException(refusal + "not a regular file", ExitCode.USAGE, null);
        }
        String text;
        try {
            if (Files.size(abs) > MAX_SCRIPT_BYTES) {
                throw new CryptvolException(refusal + "larger than 1 MiB, not a cryptvol script", ExitCode.USAGE, null);
            }
            byte[] bytes = Files.readAllBytes(abs);
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CryptvolException(refusal + "binary content, not a cryptvol script", ExitCode.USAGE, null);
        } catch (IOException e) {
            throw new CryptvolException(refusal + "cannot read it (" + e.getMessage() + ")", ExitCode.USAGE, null);
        }
        if (text.chars().anyMatch(c -> (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)) {
            throw new CryptvolException(refusal + "binary content, not a cryptvol script", ExitCode.USAGE, null);
        }
        if (!text.startsWith(HEADER) && !abs.getFileName().toString().endsWith(".cvsh")) {
            throw new CryptvolException(refusal + "not a cryptvol script (a recording starts with '" + HEADER
                    + "', a script's name ends in .cvsh); record to a new file", ExitCode.USAGE, null);
        }
        try {
            ScriptFormat.checkSyntax(shown.toString(), text);
        } catch (ScriptException e) {
            throw new CryptvolException(refusal + "not a cryptvol script: " + e.getMessage(), ExitCode.USAGE, null);
        }
        return text;
    }

    /** Stops recording; returns what was active, or null. */
    public synchronized Active stop() {
        Active a = active();
        try {
            Files.deleteIfExists(stateFile);
        } catch (IOException e) {
            throw new CryptvolException("cannot stop recording: " + e.getMessage(), e);
        }
        return a;
    }

    /** Commands in a recording file (lines that are not blank or comments). */
    public static long commandCount(Path file) {
        try (var lines = Files.lines(file)) {
            return lines.map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void evaluated(RecordingShell.Evaluation e) {
        if (!e.ok() || paused || mode.dryRun() || !RecordRules.recorded(e.command(), e.registration(), e.words())) {
            return;
        }
        append(e.words());
    }

    /** Records nothing while {@code on} (a rehearsal); the recording itself goes on afterwards. */
    void pause(boolean on) {
        paused = on;
    }

    synchronized void append(List<String> words) {
        Active a = active();
        if (a == null) {
            return;
        }
        try {
            Files.writeString(a.file(), RecordRules.line(words) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ex) {
            throw new CryptvolException("the command ran, but could not be recorded to " + a.file() + ": " + ex.getMessage(), ex);
        }
    }
}
