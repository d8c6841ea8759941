package io.cryptvol.record;

import org.jline.reader.impl.history.DefaultHistory;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * The shell's command history (memory and file), minus every line that carries a secret option
 * ({@link RecordRules#SECRET_OPTIONS}): such a line is neither kept in memory nor written to the file.
 * Lines read back from an older file are filtered the same way.
 */
public class SecretSafeHistory extends DefaultHistory {

    @Override
    public void add(Instant time, String line) {
        if (!secret(line)) {
            super.add(time, line);
        }
    }

    @Override
    protected void addHistoryLine(java.nio.file.Path path, String line, boolean checkDuplicates) {
        if (!secret(line)) {
            super.addHistoryLine(path, line, checkDuplicates);
        }
    }

    /** Any word that is (or starts with) a secret option; quoting does not hide it. */
    static boolean secret(String line) {
        if (line == null) {
            return false;
        }
        List<String> words = Arrays.stream(line.split("[\\s'\"]+")).filter(w -> !w.isEmpty()).toList();
        return RecordRules.hasSecret(words);
    }
}
