package io.cryptvol.shell;

import io.cryptvol.adopt.AdoptService;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wiring of {@code adopt}. */
@Configuration(proxyBeanMethods = false)
public class AdoptConfig {

    @Bean
    public AdoptService adoptService(HostAccess hosts, SessionContext ctx, VolumeService volumes, AwsAccess aws,
                                     KeyStore store) {
        return new AdoptService(hosts, ctx, volumes, aws, store);
    }
}
