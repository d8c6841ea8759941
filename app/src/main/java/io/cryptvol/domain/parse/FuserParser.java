package io.cryptvol.domain.parse;

import io.cryptvol.domain.model.ProcessUse;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code fuser -vm MOUNTPOINT} (psmisc; the table goes to stderr, pass both streams). The
 * "kernel mount" row is the mount itself, not a user. Exit code 1 with no rows means nobody uses it.
 *
 * <pre>
 *                      USER        PID ACCESS COMMAND
 * /mnt/data:           root     kernel mount /mnt/data
 *                      postgres   1234 F.c.. postgres
 * </pre>
 */
public final class FuserParser {
    private static final Pattern ROW = Pattern.compile("^(?:\\S+:)?\\s+(\\S+)\\s+(\\d+)\\s+(\\S+)\\s+(.+?)\\s*$");

    private FuserParser() {
    }

    /**
     * psmisc as it really behaves: the PIDs go to stdout ("kernel" for the mount itself), the rest of the
     * table (USER ACCESS COMMAND, without the PID) to stderr, row by row in the same order.
     */
    public static List<ProcessUse> parse(String stdout, String stderr) {
        List<String> pids = List.of((stdout == null ? "" : stdout).strip().split("\\s+"));
        List<String> rows = new ArrayList<>();
        for (String line : (stderr == null ? "" : stderr).split("\n")) {
            if (line.isBlank() || line.strip().startsWith("USER")) {
                continue;
            }
            rows.add(line);
        }
        if (pids.size() == 1 && pids.get(0).isEmpty()) {
            return parse(stderr); // the older one-stream form, or nothing
        }
        List<ProcessUse> out = new ArrayList<>();
        Pattern row = Pattern.compile("^(?:\\S+:)?\\s+(\\S+)\\s+(\\S+)\\s+(.+?)\\s*$");
        for (int i = 0; i < pids.size() && i < rows.size(); i++) {
            if (!pids.get(i).matches("\\d+")) {
                continue; // "kernel": the mount itself
            }
            Matcher m = row.matcher(rows.get(i));
            if (m.matches()) {
                out.add(new ProcessUse(m.group(1), Long.parseLong(pids.get(i)), m.group(2), m.group(3)));
            }
        }
        return out;
    }

    public static List<ProcessUse> parse(String text) {
        List<ProcessUse> out = new ArrayList<>();
        for (String line : (text == null ? "" : text).split("\n")) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                out.add(new ProcessUse(m.group(1), Long.parseLong(m.group(2)), m.group(3), m.group(4)));
            }
        }
        return out;
    }
}
