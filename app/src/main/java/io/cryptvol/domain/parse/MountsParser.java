package io.cryptvol.domain.parse;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryptvol.domain.model.FstabFile;
import io.cryptvol.domain.model.Mount;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code findmnt -J -o TARGET,SOURCE,FSTYPE,OPTIONS} (tree or {@code -l} list) and
 * /proc/self/mounts (octal escapes such as \040 decoded).
 */
public final class MountsParser {
    public static final List<String> FINDMNT_COLUMNS = List.of("TARGET", "SOURCE", "FSTYPE", "OPTIONS");

    private MountsParser() {
    }

    public static List<Mount> findmnt(String json) {
        List<Mount> out = new ArrayList<>();
        for (JsonNode n : Json.read("findmnt", json).path("filesystems")) {
            walk(n, out);
        }
        return out;
    }

    private static void walk(JsonNode n, List<Mount> out) {
        String opts = Json.text(n, "options");
        out.add(new Mount(Json.text(n, "source"), Json.text(n, "target"), Json.text(n, "fstype"),
                opts == null ? List.of() : List.of(opts.split(","))));
        for (JsonNode c : n.path("children")) {
            walk(c, out);
        }
    }

    public static List<Mount> procMounts(String text) {
        List<Mount> out = new ArrayList<>();
        for (String line : (text == null ? "" : text).split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 4) {
                continue;
            }
            out.add(new Mount(FstabFile.unescape(f[0]),
                    FstabFile.unescape(f[1]), f[2], List.of(f[3].split(","))));
        }
        return out;
    }
}
