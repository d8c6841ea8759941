package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.domain.cmd.HeaderFiles;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepCommand;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stores the header a {@link StepKind#HEADER_BACKUP} step copies back: the host printed the SHA-256 of the file and
 * the file as base64 ({@link HeaderFiles#fetch}); this decodes it, compares the SHA-256 of what arrived with the
 * host's, and puts it in the key store's {@link HeaderBackups}. Anything wrong (not that shape, not base64, another
 * digest, not a LUKS header) fails the step with one line, and the step's cleanup shreds the host copy either way.
 * The bytes are never shown or logged.
 */
public final class HeaderBackupRecorder implements PlanRunner.Listener {
    private static final Pattern FIRST = Pattern.compile("([0-9a-f]{64})  -");
    private static final int MAX_OUTPUT = HeaderBackups.MAX_SIZE / 3 * 4 + 200;

    private final HostExecutor executor;
    private final KeyStore store;
    private final Consumer<String> note;
    private final Clock clock;

    public HeaderBackupRecorder(HostExecutor executor, KeyStore store, Consumer<String> note) {
        this(executor, store, note, Clock.systemUTC());
    }

    HeaderBackupRecorder(HostExecutor executor, KeyStore store, Consumer<String> note, Clock clock) {
        this.executor = executor;
        this.store = store;
        this.note = note == null ? n -> { } : note;
        this.clock = clock;
    }

    @Override
    public void commandDone(PlanStep step, HostCommand command, ExecResult result) {
        if (step.kind() != StepKind.HEADER_BACKUP || HeaderFiles.fetchedPath(command).isEmpty() || !executor.changesHost()) {
            return;
        }
        String device = step.commands().stream().map(StepCommand::command).map(HeaderFiles::backupDevice)
                .flatMap(Optional::stream).findFirst().orElse("?");
        Fetched f = parse(result.stdout(), device);
        try {
            HeaderBackups.Backup b = store.headers().add(f.bytes(), f.sha256(), device, executor.target(), clock.instant());
            note.accept("LUKS header of " + ControlChars.escape(device) + " (UUID " + b.uuid() + ") backed up to "
                    + store.headers().dir().resolve(b.file()) + " (" + b.size() + " bytes, SHA-256 " + b.fingerprint()
                    + "…, the same on both sides)");
        } finally {
            Arrays.fill(f.bytes(), (byte) 0);
        }
    }

    /** The header and the host's SHA-256 of it. */
    record Fetched(String sha256, byte[] bytes) {
    }

    /** {@code HEX  -\nBASE64}; anything else is refused. */
    static Fetched parse(byte[] out, String device) {
        String where = "the header backup of " + ControlChars.escape(device);
        if (out == null || out.length > MAX_OUTPUT) {
            throw new CryptvolException(where + " came back too large for a LUKS header", ExitCode.FAILED, null);
        }
        String s = new String(out, StandardCharsets.US_ASCII);
        int nl = s.indexOf('\n');
        if (nl < 0) {
            throw new CryptvolException(where + " came back without its SHA-256 line", ExitCode.FAILED, null);
        }
        Matcher m = FIRST.matcher(s.substring(0, nl));
        if (!m.matches()) {
            throw new CryptvolException(where + " came back with a first line that is not a SHA-256", ExitCode.FAILED, null);
        }
        String b64 = s.substring(nl + 1).strip();
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new CryptvolException(where + " came back as something that is not base64", ExitCode.FAILED, null);
        }
        if (bytes.length == 0) {
            throw new CryptvolException(where + " came back empty", ExitCode.FAILED, null);
        }
        return new Fetched(m.group(1), bytes);
    }
}
