package io.cryptvol.domain.parse;

import io.cryptvol.domain.Fixtures;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.ProcessUse;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MountsParserTest {

    @Test
    void findmntTreeIsFlattened() {
        List<Mount> ms = MountsParser.findmnt(Fixtures.read("findmnt.json"));
        assertThat(ms).extracting(Mount::target).containsExactly("/", "/run", "/mnt/data");
        assertThat(ms.get(2).source()).isEqualTo("/dev/mapper/secure");
        assertThat(ms.get(2).options()).contains("nouuid", "noatime");
    }

    /**
     * /proc/self/mountinfo as the test instance's kernel prints it, read as findmnt shows it: a bind of a subtree with
     * "[ROOT]" after its source, a read-only bind not also "rw" (its super block's), optional fields skipped, escapes
     * decoded; a line without the " - " separator skipped.
     */
    @Test
    void mountinfoReadsAsFindmntShowsIt() {
        List<Mount> ms = MountsParser.mountinfo("""
                22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw,discard
                25 22 0:21 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=400000k,mode=755
                40 22 253:2 / /mnt/my\\040data rw,noatime - xfs /dev/mapper/secure rw,attr2,inode64,noquota
                41 22 253:2 /sub /srv/bound ro,relatime shared:9 master:3 - xfs /dev/mapper/secure rw,attr2
                garbage without a separator
                """);
        assertThat(ms).containsExactly(
                new Mount("/dev/nvme0n1p1", "/", "ext4", List.of("rw", "relatime", "discard")),
                new Mount("tmpfs", "/run", "tmpfs", List.of("rw", "nosuid", "nodev", "size=400000k", "mode=755")),
                new Mount("/dev/mapper/secure", "/mnt/my data", "xfs", List.of("rw", "noatime", "attr2", "inode64", "noquota")),
                new Mount("/dev/mapper/secure[/sub]", "/srv/bound", "xfs", List.of("ro", "relatime", "attr2")));
    }

    @Test
    void procMountsDecodesOctalEscapes() {
        List<Mount> ms = MountsParser.procMounts("""
                /dev/nvme0n1p1 / ext4 rw,relatime,discard 0 0
                /dev/mapper/secure /mnt/my\\040data xfs rw,noatime,nouuid 0 0
                """);
        assertThat(ms).containsExactly(
                new Mount("/dev/nvme0n1p1", "/", "ext4", List.of("rw", "relatime", "discard")),
                new Mount("/dev/mapper/secure", "/mnt/my data", "xfs", List.of("rw", "noatime", "nouuid")));
    }

    @Test
    void fuserSkipsTheKernelMountRow() {
        List<ProcessUse> ps = FuserParser.parse("""
                                     USER        PID ACCESS COMMAND
                /mnt/data:           root     kernel mount /mnt/data
                                     postgres   1234 F.c.. postgres
                                     admin      5678 ..c.. bash
                """);
        assertThat(ps).containsExactly(new ProcessUse("postgres", 1234, "F.c..", "postgres"),
                new ProcessUse("admin", 5678, "..c..", "bash"));
        assertThat(FuserParser.parse("/mnt/data:           root     kernel mount /mnt/data\n")).isEmpty();
        assertThat(FuserParser.parse("/mnt/data:           admin      42 ..c.. bash\n")).hasSize(1);
    }
}
