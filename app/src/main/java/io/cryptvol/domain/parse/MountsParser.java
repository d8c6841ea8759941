package io.cryptvol.domain.parse;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryptvol.domain.model.FstabFile;
import io.cryptvol.domain.model.Mount;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code findmnt -J -o TARGET,SOURCE,FSTYPE,OPTIONS} (tree or {@code -l} list), /proc/self/mountinfo (what the
 * observation reads, with shell builtins: the same columns as findmnt's, without its process) and /proc/self/mounts
 * (octal escapes such as \040 decoded).
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

    /**
     * /proc/self/mountinfo (proc(5)): "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER",
     * as findmnt shows it: the source with "[ROOT]" when the mount is a bind of a subtree (ROOT not /), the options the
     * mount's and then the super block's (but its rw or ro), each once. Lines that are not of that form are skipped.
     */
    public static List<Mount> mountinfo(String text) {
        List<Mount> out = new ArrayList<>();
        for (String line : (text == null ? "" : text).split("\n")) {
            String[] f = line.strip().split(" ");
            int dash = java.util.Arrays.asList(f).indexOf("-");
            if (dash < 6 || f.length < dash + 3) {
                continue;
            }
            String root = FstabFile.unescape(f[3]);
            String source = FstabFile.unescape(f[dash + 2]);
            java.util.LinkedHashSet<String> opts = new java.util.LinkedHashSet<>(List.of(f[5].split(",")));
            if (f.length > dash + 3) {
                // the super block's rw/ro is not the mount's (a read-only bind of a writable file system)
                List.of(f[dash + 3].split(",")).stream().filter(o -> !o.equals("rw") && !o.equals("ro")).forEach(opts::add);
            }
            out.add(new Mount(root.equals("/") ? source : source + "[" + root + "]", FstabFile.unescape(f[4]),
                    FstabFile.unescape(f[dash + 1]), List.copyOf(opts)));
        }
        return out;
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
