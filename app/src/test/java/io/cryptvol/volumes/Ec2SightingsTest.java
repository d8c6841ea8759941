package io.cryptvol.volumes;

import io.cryptvol.aws.EbsVolume;
import io.cryptvol.session.Attachment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What EC2's DescribeVolumes answer gives the attachment history ({@link VolumeService#sightings}): an attached volume
 * with its instance and device; nothing for a volume that is not (yet, or any more) attached; nothing for an
 * instance id that is not one; a device name that is no /dev path leaves the device out, not the sighting.
 */
class Ec2SightingsTest {
    static final Instant NOW = Instant.parse("2026-12-01T01:30:00Z");

    @ParameterizedTest(name = "{0} {1} {2} → {3}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            "attached  | i-0123456789abcdef0 | /dev/sdf       | last seen attached to i-0123456789abcdef0 as /dev/sdf at 2026-12-01T01:30Z",
            "attached  | i-0123456789abcdef0 | xvdf           | last seen attached to i-0123456789abcdef0 at 2026-12-01T01:30Z",
            "attached  | i-0123456789abcdef0 | /dev/sd$(x)    | last seen attached to i-0123456789abcdef0 at 2026-12-01T01:30Z",
            "attaching | i-0123456789abcdef0 | /dev/sdf       | null",
            "detaching | i-0123456789abcdef0 | /dev/sdf       | null",
            "detached  | i-0123456789abcdef0 | /dev/sdf       | null",
            "attached  | i-0123$(reboot)     | /dev/sdf       | null",
            "attached  | sandbox             | /dev/sdf       | null",
            "null      | null                | null           | null"})
    void anAttachedVolumeIsASighting(String state, String instance, String device, String expected) {
        Optional<EbsVolume.Attachment> a = state == null ? Optional.empty() : Optional.of(new EbsVolume.Attachment(instance, device, state));
        EbsVolume v = new EbsVolume("vol-0aaaaaaaaaaaaaaa1", 1, "gp3", null, null, false, null, "us-east-1a",
                a.isPresent() ? "in-use" : "available", null, NOW, Map.of(), a);
        List<Attachment> s = VolumeService.sightings(List.of(v), NOW);
        if (expected == null) {
            assertThat(s).isEmpty();
        } else {
            assertThat(s).singleElement().satisfies(x -> {
                assertThat(x.volumeId()).isEqualTo("vol-0aaaaaaaaaaaaaaa1");
                assertThat(x.describe()).isEqualTo(expected);
                assertThat(x.pvUuid()).isNull();
            });
        }
    }
}
