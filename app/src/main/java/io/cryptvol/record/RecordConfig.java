package io.cryptvol.record;

import io.cryptvol.session.Inventory;
import io.cryptvol.session.Prompt;
import io.cryptvol.session.InventoryStore;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import io.cryptvol.ui.Output;
import org.jline.terminal.Terminal;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.context.annotation.Primary;
import org.springframework.shell.ResultHandlerService;
import org.springframework.shell.Shell;
import org.springframework.shell.command.CommandCatalog;
import org.springframework.shell.config.ShellConversionServiceSupplier;
import org.springframework.shell.context.ShellContext;
import org.springframework.shell.exit.ExitCodeMappings;

import java.util.List;
import java.util.Map;

/**
 * Wiring of recording, replay, the session mode and history. The {@link RecordingShell} is the primary
 * {@link Shell}: the interactive and the non-interactive runner both use it (Spring Shell's own shell bean
 * still exists, unused, because its auto-configuration has no back-off condition).
 */
@Configuration(proxyBeanMethods = false)
public class RecordConfig {

    @Bean
    public SessionMode sessionMode() {
        return new SessionMode();
    }

    @Bean
    public CommandOutcomes commandOutcomes() {
        return new CommandOutcomes();
    }

    @Bean
    @Primary
    public RecordingShell recordingShell(ResultHandlerService results, CommandCatalog catalog, Terminal terminal,
                                         ShellConversionServiceSupplier conversion, ShellContext shellContext,
                                         ExitCodeMappings exitCodeMappings, CommandOutcomes outcomes, Recorder recorder) {
        RecordingShell shell = new RecordingShell(results, catalog, terminal, shellContext, exitCodeMappings, outcomes);
        shell.setConversionService(conversion.get());
        shell.addListener(recorder);
        return shell;
    }

    @Bean
    public Recorder recorder(SessionMode mode) {
        return new Recorder(Recorder.defaultStateFile(), mode);
    }

    @Bean
    public Replayer replayer(@Lazy RecordingShell shell, SessionMode mode, SessionContext ctx, Prompt prompter, Output ui,
                             io.cryptvol.keys.KeyStore keys, io.cryptvol.keys.KeyLedger ledger, Inventory inventory,
                             Recorder recorder) {
        return new Replayer(shell, mode, ctx, prompter, ui,
                new RehearsalState(keys, ledger, inventory, recorder, io.cryptvol.session.Dirs.state()));
    }

    /** History without secrets; replaces JLine's default (Spring Shell backs off when a History bean exists). */
    @Bean
    public org.jline.reader.History history() {
        return new SecretSafeHistory();
    }

    /** Loads the last known names into the inventory on start and saves them on exit when they changed. */
    @Bean
    public InventoryPersistence inventoryPersistence(Inventory inventory) {
        return new InventoryPersistence(inventory, InventoryStore.inStateDir());
    }

    public static final class InventoryPersistence implements InitializingBean, DisposableBean {
        private final Inventory inventory;
        private final InventoryStore store;
        private Map<String, Map<String, List<String>>> loaded = Map.of();

        InventoryPersistence(Inventory inventory, InventoryStore store) {
            this.inventory = inventory;
            this.store = store;
        }

        @Override
        public void afterPropertiesSet() {
            inventory.restore(store.load());
            loaded = inventory.snapshot();
        }

        @Override
        public void destroy() {
            Map<String, Map<String, List<String>>> now = inventory.snapshot();
            if (!now.equals(loaded)) {
                store.save(now);
            }
        }
    }
}
