package io.cryptvol.snapshot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The copy policy's tag values: what reads, what is refused (the values come from EC2: hostile until checked). */
class CopyPolicyTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "eu-west-1|eu-west-1",
            "eu-west-1, us-west-2|eu-west-1,us-west-2",
            "us-gov-west-1|us-gov-west-1",
            "ap-southeast-2,ca-central-1|ap-southeast-2,ca-central-1"})
    void regionsThatRead(String csv, String want) {
        assertThat(String.join(",", CopyPolicy.regions(csv))).isEqualTo(want);
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
            "''|no region given",
            "eu-west-1,eu-west-1|region eu-west-1 is given twice",
            "$(reboot)|'$(reboot)' is not an AWS region",
            "eu-west-1,|'' is not an AWS region",
            "EU-WEST-1|'EU-WEST-1' is not an AWS region"})
    void regionsRefused(String csv, String message) {
        assertThatThrownBy(() -> CopyPolicy.regions(csv)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void aControlCharacterIsNotPrintedRaw() {
        assertThatThrownBy(() -> CopyPolicy.regions("eu-west-1\u001b[2J")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not an AWS region").message().doesNotContain("\u001b");
    }

    @Test
    void agesReadAndAreWrittenInTheLargestWholeUnit() {
        assertThat(CopyPolicy.age("24h")).isEqualTo(Duration.ofHours(24));
        assertThat(CopyPolicy.age("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(CopyPolicy.age("90m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(CopyPolicy.ageTag(Duration.ofHours(48))).isEqualTo("2d");
        assertThat(CopyPolicy.ageTag(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(CopyPolicy.ageTag(Duration.ofHours(36))).isEqualTo("36h");
        for (String bad : List.of("0h", "-1h", "1y", "9999999h", "2 days")) {
            assertThatThrownBy(() -> CopyPolicy.age(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void readFromTheVolumesTags() {
        Map<String, String> set = new CopyPolicy(List.of("eu-west-1"), Duration.ofDays(1)).tags();
        assertThat(set).containsExactly(Map.entry(CopyPolicy.COPY_TO, "eu-west-1"), Map.entry(CopyPolicy.MAX_AGE, "1d"));
        assertThat(CopyPolicy.of(List.of(Map.of(), Map.of()))).isEmpty();
        assertThat(CopyPolicy.of(List.of(set, set))).hasValueSatisfying(r -> {
            assertThat(r.problem()).isNull();
            assertThat(r.policy().describe()).isEqualTo("copies to eu-west-1; newest complete set at most 1d old");
        });
        assertThat(CopyPolicy.of(List.of(set, Map.of()))).hasValueSatisfying(r -> assertThat(r.problem())
                .contains("the VG's volumes disagree"));
        assertThat(CopyPolicy.of(List.of(Map.of(CopyPolicy.COPY_TO, "eu-west-1;rm -rf /")))).hasValueSatisfying(r -> {
            assertThat(r.policy()).isNull();
            assertThat(r.problem()).contains("is not an AWS region");
        });
    }
}
