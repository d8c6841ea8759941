package io.cryptvol.domain.parse;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.Fixtures;
import io.cryptvol.domain.model.LuksHeader;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LuksDumpParserTest {

    @Test
    void luks1SeedFormat() {
        LuksHeader h = LuksDumpParser.parse("/dev/myvg/mylv", Fixtures.read("luksdump-luks1.txt"));
        assertThat(h).isEqualTo(new LuksHeader("/dev/myvg/mylv", 1, "6a0b2c1d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                "aes-cbc-essiv:sha256", 256, "ripemd160", "pbkdf2", List.of(0, 1), 4096L * 512));
    }

    @Test
    void luks2Default() {
        LuksHeader h = LuksDumpParser.parse("/dev/myvg/mylv", Fixtures.read("luksdump-luks2.txt"));
        assertThat(h).isEqualTo(new LuksHeader("/dev/myvg/mylv", 2, "4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b",
                "aes-xts-plain64", 512, "sha256", "argon2id", List.of(0, 1), 16777216L));
    }

    @Test
    void luks2WithOneSlotAfterAnInterruptedAddKey() {
        String oneSlot = Fixtures.read("luksdump-luks2.txt").replaceAll("(?s)  1: luks2.*?Digest ID:  0\n", "");
        LuksHeader h = LuksDumpParser.parse("/dev/x", oneSlot);
        assertThat(h.activeKeySlots()).containsExactly(0);
        assertThat(h.hash()).isEqualTo("sha256");
    }

    @Test
    void luks1WithOneSlot() {
        String oneSlot = Fixtures.read("luksdump-luks1.txt").replace("Key Slot 1: ENABLED", "Key Slot 1: DISABLED");
        assertThat(LuksDumpParser.parse("/dev/x", oneSlot).activeKeySlots()).containsExactly(0);
    }

    @Test
    void notLuks() {
        assertThatThrownBy(() -> LuksDumpParser.parse("/dev/x", "Device /dev/x is not a valid LUKS device.\n"))
                .isInstanceOf(CryptvolException.class).hasMessageContaining("/dev/x");
    }
}
