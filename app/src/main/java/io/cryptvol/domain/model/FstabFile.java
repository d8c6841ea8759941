package io.cryptvol.domain.model;

import io.cryptvol.CryptvolException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * /etc/fstab as text: every line is kept (comments, blank lines, odd spacing), entries are parsed
 * for queries, and {@link #add} appends one line idempotently.
 */
public final class FstabFile {
    private static final Pattern OCTAL = Pattern.compile("\\\\([0-7]{3})");

    private final List<String> lines;
    private final List<FstabEntry> entries;

    private FstabFile(List<String> lines) {
        this.lines = List.copyOf(lines);
        List<FstabEntry> parsed = new ArrayList<>();
        for (String line : lines) {
            parseLine(line).ifPresent(parsed::add);
        }
        this.entries = List.copyOf(parsed);
    }

    public static FstabFile parse(String text) {
        return new FstabFile(splitLines(text));
    }

    public static FstabFile empty() {
        return new FstabFile(List.of());
    }

    public List<FstabEntry> entries() {
        return entries;
    }

    public Optional<FstabEntry> forMountpoint(String mountpoint) {
        return entries.stream().filter(e -> e.mountpoint().equals(mountpoint)).findFirst();
    }

    /**
     * This file with {@code entry} added at the end. Unchanged when an entry for the same mountpoint
     * with the same source already exists; a CryptvolException when the mountpoint is taken by another
     * source.
     */
    public FstabFile add(FstabEntry entry) {
        Optional<FstabEntry> existing = forMountpoint(entry.mountpoint());
        if (existing.isPresent()) {
            if (existing.get().source().equals(entry.source())) {
                return this;
            }
            throw new CryptvolException("/etc/fstab already mounts " + existing.get().source() + " on "
                    + entry.mountpoint() + "; not adding " + entry.source());
        }
        List<String> out = new ArrayList<>(lines);
        out.add(entry.line());
        return new FstabFile(out);
    }

    public String render() {
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    static Optional<FstabEntry> parseLine(String line) {
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
            return Optional.empty();
        }
        String[] f = t.split("\\s+");
        if (f.length < 3) {
            return Optional.empty();
        }
        List<String> opts = f.length > 3 ? List.of(f[3].split(",")) : List.of("defaults");
        int freq = f.length > 4 ? parseIntOr(f[4], 0) : 0;
        int pass = f.length > 5 ? parseIntOr(f[5], 0) : 0;
        return Optional.of(new FstabEntry(unescape(f[0]), unescape(f[1]), f[2], opts, freq, pass));
    }

    static List<String> splitLines(String text) {
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        String t = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        return List.of(t.split("\n", -1));
    }

    /** Decodes the octal escapes (\\040 for a space) of fstab and /proc/self/mounts fields. */
    public static String unescape(String s) {
        Matcher m = OCTAL.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(m.group(1), 8))));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static int parseIntOr(String s, int dflt) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
