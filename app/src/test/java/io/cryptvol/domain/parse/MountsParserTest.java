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
