package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** How the session reaches its target: one executor per target, created on first use. */
@Configuration(proxyBeanMethods = false)
public class ExecConfig {

    @Bean(destroyMethod = "close")
    public HostAccess hostAccess(SessionContext ctx) {
        return new HostAccess(ctx, (target, acceptNew) -> {
            throw new CryptvolException("executors not wired yet");
        });
    }
}
