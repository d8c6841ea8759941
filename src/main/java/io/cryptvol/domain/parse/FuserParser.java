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
