package io.cryptvol.domain.model;

import io.cryptvol.CryptvolException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** /etc/crypttab as text, like {@link FstabFile}: lines kept, entries parsed, idempotent add. */
public final class CrypttabFile {
    private final List<String> lines;
    private final List<CrypttabEntry> entries;

    private CrypttabFile(List<String> lines) {
        this.lines = List.copyOf(lines);
        List<CrypttabEntry> parsed = new ArrayList<>();
        for (String line : lines) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] f = t.split("\\s+");
            if (f.length < 2) {
                continue;
            }
            parsed.add(new CrypttabEntry(f[0], f[1], f.length > 2 ? f[2] : "none",
                    f.length > 3 ? List.of(f[3].split(",")) : List.of()));
        }
        this.entries = List.copyOf(parsed);
    }

    public static CrypttabFile parse(String text) {
        return new CrypttabFile(FstabFile.splitLines(text));
    }

    public static CrypttabFile empty() {
        return new CrypttabFile(List.of());
    }

    public List<CrypttabEntry> entries() {
        return entries;
    }

    public Optional<CrypttabEntry> forName(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** Adds the entry; unchanged if the same name already maps the same device; error if another. */
    public CrypttabFile add(CrypttabEntry entry) {
        Optional<CrypttabEntry> existing = forName(entry.name());
        if (existing.isPresent()) {
            if (existing.get().device().equals(entry.device())) {
                return this;
            }
            throw new CryptvolException("/etc/crypttab already has " + entry.name() + " for "
                    + existing.get().device() + "; not adding it for " + entry.device());
        }
        List<String> out = new ArrayList<>(lines);
        out.add(entry.line());
        return new CrypttabFile(out);
    }

    public String render() {
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }
}
