package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.doctor.DoctorService;
import io.cryptvol.keys.KeyLedger;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.snapshot.SnapshotService;
import io.cryptvol.volumes.VolumeService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code doctor}: the read-only audit of the target. */
@Configuration(proxyBeanMethods = false)
public class DoctorConfig {

    @Bean
    public DoctorService doctorService(HostAccess hosts, KeyStore store, KeyLedger ledger, AwsAccess aws,
                                       VolumeService volumes, SnapshotService snapshots) {
        return new DoctorService(hosts, store, ledger, aws, volumes, snapshots);
    }
}
