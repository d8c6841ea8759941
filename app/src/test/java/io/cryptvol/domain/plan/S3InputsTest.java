package io.cryptvol.domain.plan;

import io.cryptvol.domain.model.S3Url;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** S3 places and KMS key ids as the user gives them: accepted (normalised) or refused with the reason. */
class S3InputsTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "s3://my-backups|my-backups|''",
            "s3://my-backups/|my-backups|''",
            "S3://my-backups/host1|my-backups|host1/",
            "s3://my.backups-2/a/b/|my.backups-2|a/b/",
            "s3://abc/Key_(1)!*'.x|abc|Key_(1)!*'.x/",
    })
    void accepted(String raw, String bucket, String prefix) {
        Inputs.Checked c = Inputs.s3Url(raw);
        assertThat(c.ok()).as(raw).isTrue();
        S3Url u = S3Url.parse(raw);
        assertThat(u.bucket()).isEqualTo(bucket);
        assertThat(u.prefix()).isEqualTo(prefix.equals("''") ? "" : prefix);
        assertThat(u.location("k.key")).isEqualTo("s3://" + bucket + "/" + u.prefix() + "k.key");
        assertThat(c.value()).isEqualTo(u.toString());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "/mnt/usb|does not start with s3://",
            "s3://|names no bucket",
            "s3:///x|names no bucket",
            "s3://ab|must be 3 to 63 characters",
            "s3://Upper|may hold only lower-case letters",
            "s3://-dash|must begin and end with a letter or digit",
            "s3://a..b|breaks S3's naming rules",
            "s3://192.168.1.1|breaks S3's naming rules",
            "s3://xn--bucket|breaks S3's naming rules",
            "s3://bucket/a//b|empty path segment",
            "s3://bucket/./b|a '.' segment",
            "s3://bucket/a/..|a '..' segment",
            "s3://bucket/$(reboot)|may hold only letters, digits",
            "s3://bucket/a b|may hold only letters, digits",
            "s3://bucket/a\u001b[31m|may hold only letters, digits",
            "s3://bucket/\u00e9|may hold only letters, digits",
    })
    void refused(String raw, String why) {
        Inputs.Checked c = Inputs.s3Url(raw);
        assertThat(c.ok()).as(raw).isFalse();
        assertThat(c.refusal().line()).contains(why).contains("(expected s3://BUCKET/PREFIX)").doesNotContain("\u001b");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"s3://bucket/" + "p", "s3://bucket/k"})
    void aRecordedObjectLocation(String loc) {
        S3Url o = S3Url.object(loc);
        assertThat(o.bucket()).isEqualTo("bucket");
        assertThat(S3Url.SCHEME + o.bucket() + "/" + o.prefix()).isEqualTo(loc);
        assertThatThrownBy(() -> S3Url.object("s3://bucket/")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> S3Url.object("s3://bucket")).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-1234abcd12ab34cd56ef1234567890ab",
            "alias/backups", "alias/aws/s3", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:eu-west-1:123456789012:alias/backups", "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"})
    void kmsKeysAccepted(String id) {
        assertThat(Inputs.kmsKeyId(id)).as(id).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"", "backups", "key/1234abcd-12ab-34cd-56ef-1234567890ab", "alias/", "alias/a b",
            "arn:aws:kms:us-east-1:123:key/1234abcd-12ab-34cd-56ef-1234567890ab", "1234ABCD-12AB-34CD-56EF-1234567890AB;rm",
            "arn:aws:kms:us-east-1:123456789012:1234abcd-12ab-34cd-56ef-1234567890ab", "alias/x\nmore"})
    void kmsKeysRefused(String id) {
        assertThat(Inputs.kmsKeyId(id)).as(id).isPresent();
        assertThat(Inputs.kmsKeyId(id).get().line()).doesNotContain("\n");
    }
}
