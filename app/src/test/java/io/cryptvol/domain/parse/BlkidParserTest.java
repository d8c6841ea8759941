package io.cryptvol.domain.parse;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.model.Signature;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlkidParserTest {

    @Test
    void luksHeader() {
        Signature s = BlkidParser.parse("/dev/myvg/mylv", 0, """
                DEVNAME=/dev/myvg/mylv
                UUID=4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b
                VERSION=2
                TYPE=crypto_LUKS
                USAGE=crypto
                """);
        assertThat(s.isLuks()).isTrue();
        assertThat(s.version()).isEqualTo("2");
        assertThat(s.usage()).isEqualTo("crypto");
    }

    @Test
    void lvmPvAndXfsWithEscapedLabel() {
        Signature pv = BlkidParser.parse("/dev/nvme1n1", 0, """
                DEVNAME=/dev/nvme1n1
                UUID=kX3x2V-1tqP-3S6D-Zc3v-Ez1C-8W0n-Yc4XQa
                VERSION=LVM2\\ 001
                TYPE=LVM2_member
                USAGE=raid
                """);
        assertThat(pv.isLvmPv()).isTrue();
        assertThat(pv.version()).isEqualTo("LVM2 001");
        Signature xfs = BlkidParser.parse("/dev/nvme3n1", 0,
                "DEVNAME=/dev/nvme3n1\nLABEL=old\\ data\nUUID=9e8d7c6b-5a49-4382-a716-151413121110\n"
                        + "BLOCK_SIZE=512\nTYPE=xfs\nUSAGE=filesystem\n");
        assertThat(xfs.type()).isEqualTo("xfs");
        assertThat(xfs.label()).isEqualTo("old data");
    }

    @Test
    void partitionTableOnly() {
        Signature s = BlkidParser.parse("/dev/nvme3n1", 0, "DEVNAME=/dev/nvme3n1\nPTUUID=1a2b3c4d\nPTTYPE=gpt\n");
        assertThat(s.type()).isNull();
        assertThat(s.describe()).isEqualTo("gpt partition table");
    }

    @Test
    void exitTwoMeansNothingThere() {
        Signature s = BlkidParser.parse("/dev/nvme3n1", 2, "");
        assertThat(s.type()).isNull();
        assertThat(s.ptType()).isNull();
    }

    @Test
    void otherExitCodesAreErrors() {
        assertThatThrownBy(() -> BlkidParser.parse("/dev/x", 8, "")).isInstanceOf(CryptvolException.class)
                .hasMessageContaining("ambivalent");
    }
}
