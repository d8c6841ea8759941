package io.cryptvol.domain.model;

import io.cryptvol.CryptvolException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EtcFilesTest {
    static final String FSTAB = """
            # /etc/fstab: static file system information.
            LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,errors=remount-ro\t0 1

            #/dev/mapper/old /mnt/old xfs defaults 0 0
            /dev/mapper/myencryptedlv /mnt/mymountpoint xfs rw,noatime,nouuid,noauto
            /dev/sdz1 /mnt/with\\040space ext4 defaults 0 2
            """;

    @Test
    void parsesEntriesAndKeepsEveryLine() {
        FstabFile f = FstabFile.parse(FSTAB);
        assertThat(f.entries()).extracting(FstabEntry::mountpoint)
                .containsExactly("/", "/mnt/mymountpoint", "/mnt/with space");
        FstabEntry e = f.forMountpoint("/mnt/mymountpoint").orElseThrow();
        assertThat(e.source()).isEqualTo("/dev/mapper/myencryptedlv");
        assertThat(e.options()).containsExactly("rw", "noatime", "nouuid", "noauto");
        assertThat(e.passno()).isZero();
        assertThat(f.render()).isEqualTo(FSTAB);
    }

    @Test
    void addIsIdempotentAndKeepsComments() {
        FstabEntry e = FstabEntry.of("/dev/mapper/secure", "/mnt/data", "xfs", "rw,noatime,nouuid,noauto");
        FstabFile once = FstabFile.parse(FSTAB).add(e);
        FstabFile twice = once.add(e);
        assertThat(twice.render()).isEqualTo(once.render())
                .isEqualTo(FSTAB + "/dev/mapper/secure /mnt/data xfs rw,noatime,nouuid,noauto 0 0\n");
    }

    @Test
    void addRefusesAnotherSourceOnTheSameMountpoint() {
        FstabEntry e = FstabEntry.of("/dev/mapper/other", "/mnt/mymountpoint", "xfs", "defaults");
        assertThatThrownBy(() -> FstabFile.parse(FSTAB).add(e)).isInstanceOf(CryptvolException.class)
                .hasMessageContaining("/mnt/mymountpoint");
    }

    @Test
    void lineEscapesSpaces() {
        assertThat(FstabEntry.of("/dev/mapper/x", "/mnt/a b", "xfs", "defaults").line())
                .isEqualTo("/dev/mapper/x /mnt/a\\040b xfs defaults 0 0");
    }

    @Test
    void crypttab() {
        String text = "# <target name> <source device> <key file> <options>\nswap /dev/nvme0n1p2 /dev/urandom swap\n";
        CrypttabFile c = CrypttabFile.parse(text);
        assertThat(c.forName("swap").orElseThrow().options()).containsExactly("swap");
        CrypttabEntry e = new CrypttabEntry("secure", "/dev/myvg/mylv", null, List.of("luks", "noauto"));
        assertThat(e.line()).isEqualTo("secure /dev/myvg/mylv none luks,noauto");
        CrypttabFile added = c.add(e).add(e);
        assertThat(added.render()).isEqualTo(text + "secure /dev/myvg/mylv none luks,noauto\n");
        assertThatThrownBy(() -> added.add(new CrypttabEntry("secure", "/dev/other", null, List.of())))
                .isInstanceOf(CryptvolException.class);
    }
}
