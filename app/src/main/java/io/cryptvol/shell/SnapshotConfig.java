package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.snapshot.SnapshotService;
import io.cryptvol.volumes.VolumeService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Snapshot sets and restore. */
@Configuration(proxyBeanMethods = false)
public class SnapshotConfig {

    @Bean
    public SnapshotService snapshotService(AwsAccess aws, SessionContext ctx, HostAccess hosts, VolumeService volumes) {
        return new SnapshotService(aws, ctx, hosts, volumes);
    }

    /** Snapshot set ids the session has seen (snapshot, snapshots list). */
    @Bean
    public org.springframework.shell.completion.CompletionProvider snapshotSetCompletion(io.cryptvol.session.Inventory inventory) {
        return c -> Completions.proposals(inventory.get("snapshot-set"));
    }
}
