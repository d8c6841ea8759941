package io.cryptvol.shell;

import io.cryptvol.day2.DetachService;
import io.cryptvol.day2.GrowService;
import io.cryptvol.day2.UnlockGuide;
import io.cryptvol.day2.UnlockService;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wiring of the day-2 services (day2/): the EBS service is optional (absent without AWS configuration). */
@Configuration(proxyBeanMethods = false)
public class Day2Config {

    @Bean
    public DetachService detachService(SessionContext ctx, PlanRunner.KeySource keys, StageSupport stages,
                                       ObjectProvider<VolumeService> volumes) {
        return new DetachService(ctx, keys, stages::remember, volumes::getIfAvailable);
    }

    @Bean
    public UnlockService unlockService(SessionContext ctx, PlanRunner.KeySource keys, StageSupport stages,
                                       ObjectProvider<VolumeService> volumes, HostAccess hosts, UnlockGuide guide,
                                       io.cryptvol.session.Inventory inventory) {
        return new UnlockService(ctx, keys, stages::remember, volumes::getIfAvailable, hosts, guide, inventory);
    }

    @Bean
    public io.cryptvol.day2.LockedMarks lockedMarks() {
        return new io.cryptvol.day2.LockedMarks();
    }

    @Bean
    public LockedNotice lockedNotice(HostAccess hosts, UnlockService unlocking, io.cryptvol.day2.LockedMarks marks, Ui ui,
                                     SessionContext ctx) {
        return new LockedNotice(hosts, unlocking, marks, ui, ctx);
    }

    /** An interactive session that starts on a saved target (not this machine) says what is locked there. */
    @Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnProperty(name = "spring.shell.interactive.enabled", havingValue = "true")
    public org.springframework.boot.ApplicationRunner lockedOnStart(SessionContext ctx, LockedNotice notice) {
        return args -> {
            if (!ctx.target().equals(io.cryptvol.session.Target.LOCAL)) {
                notice.say();
            }
        };
    }

    @Bean
    public UnlockGuide unlockGuide(KeyStore store) {
        return new UnlockGuide(store);
    }

    @Bean
    public GrowService growService(SessionContext ctx, PlanRunner.KeySource keys, StageSupport stages,
                                   ObjectProvider<VolumeService> volumes, HostAccess hosts) {
        return new GrowService(ctx, keys, stages::remember, volumes::getIfAvailable, hosts);
    }
}
