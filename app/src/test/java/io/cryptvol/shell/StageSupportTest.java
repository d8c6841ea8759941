package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.LuksType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StageSupportTest {

    @Test
    void luksOptionsFromPresetsAndOverrides() {
        var d = StageSupport.luksOptions(null, null, null, null, null, null, null, null, null);
        assertThat(d.describe()).isEqualTo("luks2 aes-xts-plain64 512-bit sha256 argon2id");
        var legacy = StageSupport.luksOptions("legacy-luks1", null, null, null, null, null, null, 1000, null);
        assertThat(legacy.type()).isEqualTo(LuksType.LUKS1);
        assertThat(legacy.describe()).isEqualTo("luks1 aes-cbc-essiv:sha256 256-bit ripemd160 pbkdf2");
        var fast = StageSupport.luksOptions(null, null, null, null, null, "pbkdf2", null, 1000, null);
        assertThat(fast.kdf().forceIterations()).isEqualTo(1000);
        var seed = StageSupport.luksOptions(null, "luks1", "aes-cbc-essiv:sha256", "ripemd160", 256, null, null, null, null);
        assertThat(seed.kdf().pbkdf()).isEqualTo("pbkdf2");
        assertThatThrownBy(() -> StageSupport.luksOptions("nope", null, null, null, null, null, null, null, null))
                .isInstanceOfSatisfying(CryptvolException.class, e -> assertThat(e.exitCode()).isEqualTo(2));
        assertThatThrownBy(() -> StageSupport.luksOptions(null, "luks1", null, null, null, "argon2id", null, null, null))
                .hasMessageContaining("LUKS1 supports pbkdf2 only");
    }

    @Test
    void sizesAndDeviceLists() {
        assertThat(StageSupport.size("4K")).isEqualTo(4096);
        assertThat(StageSupport.size("64KiB")).isEqualTo(65536);
        assertThat(StageSupport.size("1M")).isEqualTo(1 << 20);
        assertThatThrownBy(() -> StageSupport.size("big")).isInstanceOf(CryptvolException.class);
        assertThat(StageSupport.deviceList("nvme1n1,/dev/nvme2n1 nvme3n1"))
                .isEqualTo(List.of("/dev/nvme1n1", "/dev/nvme2n1", "/dev/nvme3n1"));
    }

    @Test
    void wipeProgressLine() {
        assertThat(WipeProgress.line(512L << 20, 1L << 30, 4.0))
                .isEqualTo("   [############------------]  50%  512 MiB / 1 GiB  128 MiB/s  ETA 4 s");
        assertThat(WipeProgress.duration(3725)).isEqualTo("1 h 2 min");
    }

    @Test
    void wipeProgressPollsLessOftenWhenAPollIsExpensive() {
        assertThat(WipeProgress.nextDelayMs(5)).isEqualTo(2000); // cheap polls: every 2 s
        assertThat(WipeProgress.nextDelayMs(80)).isEqualTo(2000);
        assertThat(WipeProgress.nextDelayMs(400)).isEqualTo(10_000); // a slow guest: 400 ms a poll, one per 10 s (4 %)
    }
}
