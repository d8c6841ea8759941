package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Append-only log of every command run on a host, one JSON object per line:
 * {@code ts, target, mode ("run" | "dry-run"), description, argv, privileged, readOnly, stdin (only when
 * there is stdin), exit, durationMs} and, for commands that could not run, {@code error}. {@code stdin} is a note:
 * "<secret, redacted>" (not even its length: a typed passphrase's length is a hint to whoever reads the
 * transcript) or "<12 bytes>" for stdin that is not secret; stdin bytes and stdout are never written. stderr is
 * written (trimmed to {@value #STDERR_LIMIT} chars) only for failed commands whose stdin is not secret.
 * The file is created 0600 in a 0700 directory.
 */
public final class Transcript {
    static final int STDERR_LIMIT = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    public Transcript(Path file) {
        this.file = file.toAbsolutePath();
        create(this.file);
    }

    /** transcript.log in the state directory ({@link io.cryptvol.session.Dirs#state()}). */
    public static Path defaultFile() {
        return io.cryptvol.session.Dirs.state().resolve("transcript.log");
    }

    public static Transcript openDefault() {
        return new Transcript(defaultFile());
    }

    public Path file() {
        return file;
    }

    /** A command that ran (whatever its exit code). */
    public void ran(String target, boolean dryRun, HostCommand command, ExecResult result) {
        Map<String, Object> line = common(target, dryRun, command);
        line.put("exit", result.exitCode());
        line.put("durationMs", result.duration().toMillis());
        if (!result.ok() && !command.stdinSecret() && result.stderr().length > 0) {
            String err = result.err().strip();
            line.put("stderr", err.length() > STDERR_LIMIT ? err.substring(0, STDERR_LIMIT) + "…" : err);
        }
        append(line);
    }

    /** A command that could not run (timeout, connection lost, sudo refused …). */
    public void failed(String target, boolean dryRun, HostCommand command, Duration duration, String error) {
        Map<String, Object> line = common(target, dryRun, command);
        line.put("exit", null);
        line.put("durationMs", duration.toMillis());
        line.put("error", Redactor.forCommand(command).redact(error));
        append(line);
    }

    private static Map<String, Object> common(String target, boolean dryRun, HostCommand command) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", Instant.now().toString());
        line.put("target", target);
        line.put("mode", dryRun ? "dry-run" : "run");
        line.put("description", command.description());
        line.put("argv", command.argv());
        line.put("privileged", command.privileged());
        line.put("readOnly", command.readOnly());
        if (command.stdin() != null) {
            line.put("stdin", stdinNote(command));
        }
        return line;
    }

    static String stdinNote(HostCommand command) {
        if (command.stdin() == null) {
            return null;
        }
        return command.stdinSecret() ? "<secret, redacted>" : "<" + command.stdin().length + " bytes>";
    }

    private synchronized void append(Map<String, Object> line) {
        try {
            byte[] bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.write(file, bytes, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new HostExecutionException("cannot write the transcript " + file + ": " + e.getMessage(), e);
        }
    }

    private static void create(Path file) {
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        try {
            Path dir = file.getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                if (posix) {
                    Files.createDirectories(dir, perms("rwx------"));
                } else {
                    Files.createDirectories(dir);
                }
            }
            try {
                if (posix) {
                    Files.createFile(file, perms("rw-------"));
                } else {
                    Files.createFile(file);
                }
            } catch (FileAlreadyExistsException exists) {
                if (posix) {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                }
            }
        } catch (IOException e) {
            throw new HostExecutionException("cannot create the transcript " + file + ": " + e.getMessage(), e);
        }
    }

    private static FileAttribute<Set<PosixFilePermission>> perms(String p) {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(p));
    }
}
