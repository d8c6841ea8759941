package io.cryptvol.shell;

import io.cryptvol.day2.LockedVolume;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.domain.model.LuksHeader;

import java.util.List;

/** How a locked volume is shown: the guide's block, and the one line said on connect. Values are escaped. */
final class LockedView {
    private LockedView() {
    }

    static String render(String prefix, LockedVolume v, Ui ui) {
        StringBuilder sb = new StringBuilder();
        String pad = " ".repeat(prefix.length() + 2);
        sb.append("  ").append(prefix).append(ui.bold(esc(v.name()))).append(v.mountpoint() == null ? "" : " @" + esc(v.mountpoint()))
                .append(ui.dim("  (found by " + String.join(", ", v.foundBy().stream().sorted().toList()) + ")")).append('\n');
        LuksHeader h = v.header();
        if (h == null) {
            sb.append(pad).append("LUKS header: read after activation (before any key is tried)\n");
        } else {
            sb.append(pad).append("LUKS").append(h.version())
                    .append(h.cipher() == null ? ", cipher and key slots after activation" : " " + esc(h.cipher())
                            + ", key slots " + (h.activeKeySlots().isEmpty() ? "none" : String.join(" ",
                            h.activeKeySlots().stream().map(String::valueOf).toList())))
                    .append(", UUID ").append(h.uuid() == null ? "?" : esc(h.uuid())).append('\n');
        }
        if (!v.members().isEmpty()) {
            List<String> m = v.members().stream().map(x -> x.present()
                    ? (x.volumeId() == null ? esc(x.device()) : x.volumeId() + " (" + esc(x.device()) + ")")
                    : ui.red("MISSING") + " PV " + esc(x.pvUuid())).toList();
            sb.append(pad).append("members: ").append(String.join(", ", m))
                    .append(v.missing().isEmpty() ? "; all present" : "").append('\n');
        }
        if (v.vg() != null) {
            sb.append(pad).append("VG ").append(esc(v.vg())).append(v.vgExported() ? ": exported (the unlock imports and activates it)"
                    : v.vgActive() ? ": active" : ": inactive (the unlock activates it)").append('\n');
        }
        String why = v.notUnlockable();
        if (why != null) {
            sb.append(pad).append(ui.yellow(why)).append('\n');
        }
        return sb.toString();
    }

    /** "myvg/mylv → myencryptedlv @/mnt/mymountpoint". */
    static String line(LockedVolume v) {
        return esc(v.name()) + (v.mountpoint() == null ? "" : " @" + esc(v.mountpoint()));
    }

    private static String esc(String s) {
        return s == null ? "?" : ControlChars.escape(s);
    }
}
