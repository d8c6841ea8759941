package io.cryptvol.record;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cryptvol.domain.Fixtures;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LvSegment;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A host for dry runs in the unit suite: it answers cryptvol's read-only queries (the batched observation,
 * blkid/luksDump probes, key tests, /proc reads) from a {@link HostState}, rendered the way lsblk, lvm2,
 * /proc/self/mountinfo and blkid print it, so the real parsers read it. It never changes: a command that would change
 * the host is recorded in {@link #changes} (a dry run must send none) and fails; a query it does not
 * know is recorded in {@link #unknown} and fails, so a new query shows up as a test failure.
 */
public final class FixtureHost implements HostExecutor {
    private static final ObjectMapper JSON = new ObjectMapper();
    public final List<HostCommand> changes = new CopyOnWriteArrayList<>();
    public final List<String> unknown = new CopyOnWriteArrayList<>();
    public final List<HostCommand> queries = new CopyOnWriteArrayList<>();
    public volatile HostState state;
    /** What a path is, as the observation's "path" section says it (missing when not listed). */
    public final java.util.Map<String, String> paths = new java.util.concurrent.ConcurrentHashMap<>();
    /** Whether every key opens the fixture's LUKS headers (open --test-passphrase). */
    public volatile boolean keysOpen = true;
    /** When set, which keys open the headers, by the bytes on the key test's stdin (instead of {@link #keysOpen}). */
    public volatile java.util.function.Predicate<byte[]> opens;

    public FixtureHost(HostState state) {
        this.state = state;
    }

    /** Whole disks /dev/nvme1n1.. of {@code bytes} each, with EBS serials, and a root disk. */
    public static HostState disks(List<String> serials, long bytes) {
        List<BlockDevice> d = new ArrayList<>();
        d.add(BlockDevice.disk("/dev/nvme0n1", 8L << 30, "vol00000000000000000"));
        for (int i = 0; i < serials.size(); i++) {
            BlockDevice b = BlockDevice.disk("/dev/nvme" + (i + 1) + "n1", bytes, serials.get(i));
            d.add(new BlockDevice(b.name(), b.path(), b.sizeBytes(), b.serial(), "Amazon Elastic Block Store", b.type(),
                    null, null, null, List.of(), null, List.of()));
        }
        return HostState.empty().withDevices(d);
    }

    @Override
    public ExecResult run(HostCommand c) {
        if (!c.readOnly()) {
            changes.add(c);
            return fail("fixture host: a dry run sent a changing command: " + c.commandLine());
        }
        queries.add(c);
        List<String> a = c.argv();
        String script = a.size() > 2 && a.get(0).equals("sh") ? a.get(2) : "";
        HostState s = state;
        if (script.contains("sec lsblk")) {
            return ok(section("lsblk", lsblk(s)) + section("pvs", pvs(s)) + section("vgs", vgs(s)) + section("lvs", lvs(s))
                    + section("mounts", mountinfo(s)) + section("fstab", s.fstab().render())
                    + section("crypttab", s.crypttab().render())
                    + section("keydir", s.keyDirFs() == null ? "tmpfs" : s.keyDirFs())
                    // after sh -c SCRIPT sh and the base script's 7 field lists: the paths (when no @segments follows)
                    + String.join("", a.subList(Math.min(11, a.size()), a.size()).stream()
                            .map(p -> section("path " + p, paths.getOrDefault(p, "missing"))).toList()));
        }
        if (script.contains("@@cryptvol-section blkid")) {
            StringBuilder out = new StringBuilder();
            for (String d : a.subList(4, a.size())) {
                String type = s.signatureOn(d).map(x -> x.type()).orElse(null);
                out.append(type == null ? section("blkid " + d, "", 2) : section("blkid " + d, "DEVNAME=" + d + "\nTYPE=" + type));
                if ("crypto_LUKS".equals(type)) {
                    out.append(section("luksDump " + d, Fixtures.read("luksdump-luks2.txt")));
                }
            }
            return ok(out.toString());
        }
        if (a.get(0).equals("lsblk")) {
            return ok(lsblk(s));
        }
        if (a.get(0).equals("cryptsetup") && a.contains("--test-passphrase")) {
            java.util.function.Predicate<byte[]> o = opens;
            return (o != null ? o.test(c.stdin()) : keysOpen) ? ok("") : new ExecResult(2, new byte[0], "No key available with this passphrase.\n"
                    .getBytes(StandardCharsets.UTF_8), Duration.ZERO);
        }
        if (a.get(0).equals("cryptsetup") && a.get(1).equals("luksDump")) {
            return ok(Fixtures.read("luksdump-luks2.txt"));
        }
        if (a.get(0).equals("fuser")) {
            return new ExecResult(1, new byte[0], new byte[0], Duration.ZERO); // nobody uses it
        }
        if (a.get(0).equals("pvs") && (a.contains("pv_uuid,pv_missing,vg_name") || a.contains("--segments"))) {
            // the unlock's missing-member query (since the guide: pvs --segments): every PV present, no pv_missing
            return ok(pvs(s));
        }
        if (a.get(0).equals("vgs") && a.contains("vg_exported")) {
            return ok("");
        }
        if (c.description().contains("is on tmpfs")) {
            return ok("");
        }
        if (a.equals(List.of("cat", "/proc/modules")) || a.equals(List.of("cat", "/proc/crypto")) || script.contains("modules.builtin")
                || script.contains("modules-load.d") || script.contains("/dev/disk/by-id/")) {
            return ok("");
        }
        unknown.add(c.commandLine());
        return fail("fixture host: no answer for " + c.commandLine());
    }

    @Override
    public String target() {
        return "fixture";
    }

    // ---- rendering, as the tools print it --------------------------------------------------------------

    static String lsblk(HostState s) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode top = root.putArray("blockdevices");
        s.devices().forEach(d -> top.add(device(d, null)));
        return root.toPrettyString();
    }

    private static ObjectNode device(BlockDevice d, String parent) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", d.name()).put("path", d.path()).put("size", d.sizeBytes()).put("serial", d.serial())
                .put("model", d.model()).put("type", d.type().name().toLowerCase(java.util.Locale.ROOT))
                .put("fstype", d.fstype()).put("uuid", d.uuid()).put("label", d.label());
        ArrayNode mp = n.putArray("mountpoints");
        if (d.mountpoints().isEmpty()) {
            mp.addNull();
        } else {
            d.mountpoints().forEach(mp::add);
        }
        n.put("pkname", parent);
        if (!d.children().isEmpty()) {
            ArrayNode ch = n.putArray("children");
            d.children().forEach(c -> ch.add(device(c, d.name())));
        }
        return n;
    }

    private static String report(String kind, List<ObjectNode> rows) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode arr = root.putArray("report").addObject().putArray(kind);
        rows.forEach(arr::add);
        return root.toPrettyString();
    }

    static String pvs(HostState s) {
        List<ObjectNode> rows = new ArrayList<>();
        for (PhysicalVolume p : s.pvs()) {
            rows.add(JSON.createObjectNode().put("pv_name", p.path()).put("pv_uuid", p.uuid()).put("vg_name", p.vgName())
                    .put("pv_size", String.valueOf(p.sizeBytes())).put("pv_free", String.valueOf(p.freeBytes())));
        }
        return report("pv", rows);
    }

    static String vgs(HostState s) {
        List<ObjectNode> rows = new ArrayList<>();
        for (VolumeGroup v : s.vgs()) {
            rows.add(JSON.createObjectNode().put("vg_name", v.name()).put("vg_uuid", v.uuid())
                    .put("vg_size", String.valueOf(v.sizeBytes())).put("vg_free", String.valueOf(v.freeBytes()))
                    .put("vg_extent_size", String.valueOf(v.extentSizeBytes())).put("pv_count", String.valueOf(v.pvCount()))
                    .put("lv_count", String.valueOf(v.lvCount())).put("vg_tags", String.join(",", v.tags())));
        }
        return report("vg", rows);
    }

    static String lvs(HostState s) {
        List<ObjectNode> rows = new ArrayList<>();
        for (LogicalVolume l : s.lvs()) {
            for (LvSegment g : l.segments()) {
                rows.add(JSON.createObjectNode().put("lv_name", l.name()).put("vg_name", l.vgName()).put("lv_uuid", l.uuid())
                        .put("lv_size", String.valueOf(l.sizeBytes())).put("lv_path", l.path()).put("lv_dm_path", l.dmPath())
                        .put("lv_active", l.active() ? "active" : "").put("lv_attr", l.active() ? "-wi-a-----" : "-wi-------")
                        .put("segtype", g.segtype()).put("stripes", String.valueOf(g.stripes()))
                        .put("stripe_size", String.valueOf(g.stripeSizeBytes())).put("seg_size", String.valueOf(g.sizeBytes()))
                        .put("devices", String.join(",", g.devices().stream().map(x -> x + "(0)").toList())));
            }
        }
        return report("lv", rows);
    }

    /** The mounts as /proc/self/mountinfo lists them (what the observation reads): "/" and /run, then the state's. */
    static String mountinfo(HostState s) {
        StringBuilder sb = new StringBuilder("22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1 rw\n"
                + "23 22 0:21 / /run rw,nosuid,nodev shared:2 - tmpfs tmpfs rw,size=400000k,mode=755\n");
        int id = 30;
        for (Mount m : s.mounts()) {
            sb.append(id++).append(" 22 253:").append(id).append(" / ").append(octal(m.target())).append(' ')
                    .append(String.join(",", m.options())).append(" - ").append(octal(m.fstype())).append(' ')
                    .append(octal(m.source())).append(" rw\n");
        }
        return sb.toString();
    }

    /** As the kernel escapes a mountinfo field: space, tab, newline and backslash in octal. */
    private static String octal(String v) {
        StringBuilder sb = new StringBuilder();
        for (char c : v.toCharArray()) {
            sb.append(c == ' ' || c == '\t' || c == '\n' || c == '\\' ? String.format("\\%03o", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }

    private static String section(String name, String body) {
        return section(name, body, 0);
    }

    private static String section(String name, String body, int exit) {
        return "\n@@cryptvol-section " + name + "\n" + body + "\n@@cryptvol-exit " + exit + "\n";
    }

    private static ExecResult ok(String out) {
        return new ExecResult(0, out.getBytes(StandardCharsets.UTF_8), new byte[0], Duration.ZERO);
    }

    private static ExecResult fail(String err) {
        return new ExecResult(99, new byte[0], err.getBytes(StandardCharsets.UTF_8), Duration.ZERO);
    }
}
