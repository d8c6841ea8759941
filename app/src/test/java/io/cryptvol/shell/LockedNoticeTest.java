package io.cryptvol.shell;

import io.cryptvol.day2.LockedMarks;
import io.cryptvol.day2.LockedVolume;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class LockedNoticeTest {
    static LockedVolume v(String vg, String lv, String mapping, String mp) {
        return new LockedVolume(vg, lv, mapping, mp, "xfs", "rw", Set.of("fstab"), false, false, null, List.of());
    }

    @Test
    void oneLineNamesEachLockedVolumeAndEscapesHostValues() {
        assertThat(LockedNotice.line(List.of())).isNull();
        assertThat(LockedNotice.line(List.of(v("myvg", "mylv", "myencryptedlv", "/mnt/mymountpoint"))))
                .isEqualTo("1 volume locked: myvg/mylv → myencryptedlv @/mnt/mymountpoint — `unlock`");
        assertThat(LockedNotice.line(List.of(v("a", "b", "c", "/mnt/c"), v(null, null, "x\u001b[2J", "/mnt/x"))))
                .isEqualTo("2 volumes locked: a/b → c @/mnt/c, ?/? → x\\e[2J @/mnt/x — `unlock`");
    }

    @Test
    void marksArePerTargetAndFollowUnlockAndDetach() {
        LockedMarks m = new LockedMarks();
        m.found("root@h:22", List.of(v("a", "b", "c", "/mnt/c")));
        assertThat(m.isLocked("root@h:22", "c")).isTrue();
        assertThat(m.isLocked("local", "c")).isFalse();
        m.unlocked("root@h:22", "c");
        assertThat(m.isLocked("root@h:22", "c")).isFalse();
        m.locked("root@h:22", "c");
        assertThat(m.isLocked("root@h:22", "c")).isTrue();
        m.found("root@h:22", List.of());
        assertThat(m.isLocked("root@h:22", "c")).isFalse();
        assertThat(m.isLocked("root@h:22", null)).isFalse();
    }
}
