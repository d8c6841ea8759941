package io.cryptvol.shell;

import io.cryptvol.keys.KeyLedger;
import io.cryptvol.keys.KeySource;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.keys.LedgerShredder;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.shell.completion.CompletionProvider;

import java.util.List;

/**
 * Key handling beans: the store (Dirs.config()/keys), the ledger (Dirs.state()/key-ledger.json), the key source
 * a plan runner uses, key-name completion, and the cleanup that scrubs what is still
 * outstanding on the current target when the shell exits (Spring's shutdown hook covers Ctrl-C and SIGTERM).
 */
@Configuration(proxyBeanMethods = false)
public class KeysConfig {

    @Bean
    public KeyStore keyStore(Inventory inventory, org.springframework.beans.factory.ObjectProvider<io.cryptvol.aws.AwsAccess> aws) {
        KeyStore store = KeyStore.inConfigDir();
        aws.ifAvailable(a -> store.s3(new io.cryptvol.keys.S3Copies(a))); // S3 copies: through the session's AWS settings
        inventory.put("key", store.names());
        return store;
    }

    @Bean
    public KeyLedger keyLedger() {
        return KeyLedger.inStateDir();
    }

    @Bean
    public KeySource keySource(KeyStore store) {
        return KeySource.of(store);
    }

    /** Key names from the local key directory (a directory listing, never a network call). */
    @Bean
    public CompletionProvider keyNameCompletion(KeyStore store, Inventory inventory) {
        return ctx -> {
            List<String> names = store.names();
            inventory.put("key", names);
            return Completions.proposals(names);
        };
    }

    @Bean
    public KeyCleanup keyCleanup(KeyLedger ledger, HostAccess hosts, SessionContext ctx) {
        return new KeyCleanup(ledger, hosts, ctx);
    }

    /**
     * On shutdown (before the connection closes: it depends on {@link HostAccess}): shreds what the ledger
     * lists as outstanding on the current target (a key step's file is in it from before it is written) when it is reachable
     * without a new connection. Never prints (the terminal may be gone); what is left stays in the ledger.
     */
    public static final class KeyCleanup implements DisposableBean {
        private static final Logger LOG = LoggerFactory.getLogger(KeyCleanup.class);
        private final KeyLedger ledger;
        private final HostAccess hosts;
        private final SessionContext ctx;

        KeyCleanup(KeyLedger ledger, HostAccess hosts, SessionContext ctx) {
            this.ledger = ledger;
            this.hosts = hosts;
            this.ctx = ctx;
        }

        @Override
        public void destroy() {
            try {
                if (!hosts.connected() && !ctx.target().isLocal()) {
                    return;
                }
                if (ledger.outstanding().isEmpty()) {
                    return;
                }
                for (LedgerShredder.Outcome o : new LedgerShredder(ledger)
                        .shredOutstanding(ctx.target().display(), hosts::executor)) {
                    LOG.info("key copy {} on {}: {}", o.entry().path(), o.entry().where(), o.note());
                }
            } catch (RuntimeException e) {
                LOG.warn("could not scrub outstanding key copies on exit: {}", e.getMessage());
            }
        }
    }
}
