package io.cryptvol.session;

import io.cryptvol.CryptvolException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TargetTest {
    @ParameterizedTest
    @CsvSource({
            "admin@host.example:2222, admin, host.example, 2222, admin@host.example:2222",
            "host.example,            root,  host.example, 22,   root@host.example",
            "ec2-user@10.0.0.5,       ec2-user, 10.0.0.5,  22,   ec2-user@10.0.0.5",
            "root@[::1]:2200,         root,  ::1,          2200, root@[::1]:2200",
    })
    void parsesSshSpecs(String spec, String user, String host, int port, String display) {
        Target t = Target.ssh(spec, null);
        assertThat(t.user()).isEqualTo(user);
        assertThat(t.host()).isEqualTo(host);
        assertThat(t.port()).isEqualTo(port);
        assertThat(t.display()).isEqualTo(display);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "user@", "@host", "host:0", "host:70000", "us er@host", "host;rm -rf /"})
    void rejectsBadSpecsWithUsageExitCode(String spec) {
        assertThatThrownBy(() -> Target.ssh(spec, null)).isInstanceOf(CryptvolException.class)
                .satisfies(e -> assertThat(((CryptvolException) e).exitCode()).isEqualTo(2));
    }
}
