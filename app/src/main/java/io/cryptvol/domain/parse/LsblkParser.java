package io.cryptvol.domain.parse;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code lsblk -J -b -o NAME,PATH,SIZE,SERIAL,MODEL,TYPE,FSTYPE,UUID,LABEL,MOUNTPOINTS,PKNAME}.
 * Handles util-linux ≥ 2.37 (MOUNTPOINTS: array, may hold null) and older (MOUNTPOINT: string or
 * null; ask for MOUNTPOINT there), sizes as numbers (≥ 2.33) or strings, and a missing PATH column
 * (before 2.33: derived from NAME).
 */
public final class LsblkParser {
    /** The columns {@link io.cryptvol.domain.cmd.Probe#lsblk()} asks for, in order. */
    public static final List<String> COLUMNS = List.of("NAME", "PATH", "SIZE", "SERIAL", "MODEL", "TYPE", "FSTYPE",
            "UUID", "LABEL", "MOUNTPOINTS", "PKNAME");

    private LsblkParser() {
    }

    public static List<BlockDevice> parse(String json) {
        JsonNode root = Json.read("lsblk", json);
        List<BlockDevice> out = new ArrayList<>();
        for (JsonNode n : root.path("blockdevices")) {
            out.add(device(n, null));
        }
        return out;
    }

    private static BlockDevice device(JsonNode n, String parentName) {
        String name = Json.text(n, "name");
        DeviceType type = DeviceType.of(Json.text(n, "type"));
        String path = Json.text(n, "path");
        if (path == null) {
            path = (type == DeviceType.LVM || type == DeviceType.CRYPT ? "/dev/mapper/" : "/dev/") + name;
        }
        String pk = Json.text(n, "pkname");
        List<BlockDevice> children = new ArrayList<>();
        for (JsonNode c : n.path("children")) {
            children.add(device(c, name));
        }
        String model = Json.text(n, "model");
        return new BlockDevice(name, path, Json.bytes("lsblk", n, "size"), Json.text(n, "serial"),
                model, type, Json.text(n, "fstype"), Json.text(n, "uuid"), Json.text(n, "label"),
                mountpoints(n), pk != null ? pk : parentName, children);
    }

    private static List<String> mountpoints(JsonNode n) {
        List<String> out = new ArrayList<>();
        JsonNode many = n.get("mountpoints");
        if (many != null && many.isArray()) {
            for (JsonNode m : many) {
                if (!m.isNull() && !m.asText().isBlank()) {
                    out.add(m.asText());
                }
            }
        }
        String one = Json.text(n, "mountpoint");
        if (one != null && !out.contains(one)) {
            out.add(one);
        }
        return out;
    }
}
