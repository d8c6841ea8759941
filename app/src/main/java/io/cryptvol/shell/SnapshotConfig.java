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
    public SnapshotService snapshotService(AwsAccess aws, SessionContext ctx, HostAccess hosts, VolumeService volumes,
                                           io.cryptvol.keys.KeyStore keys) {
        return new SnapshotService(aws, ctx, hosts, volumes, keys);
    }

    /** Snapshot set ids the session has seen (snapshot, snapshots list), and "latest". */
    @Bean
    public org.springframework.shell.completion.CompletionProvider snapshotSetCompletion(io.cryptvol.session.Inventory inventory) {
        return c -> {
            java.util.List<String> ids = new java.util.ArrayList<>(inventory.get("snapshot-set"));
            ids.add("latest"); // the newest-taken completed set (SnapshotSet.find)
            return Completions.proposals(ids);
        };
    }
}
