package io.cryptvol.record;

import org.jline.terminal.Terminal;
import org.springframework.shell.CommandNotFound;
import org.springframework.shell.ExitRequest;
import org.springframework.shell.Input;
import org.springframework.shell.ResultHandlerService;
import org.springframework.shell.Shell;
import org.springframework.shell.command.CommandCatalog;
import org.springframework.shell.command.CommandRegistration;
import org.springframework.shell.context.ShellContext;
import org.springframework.shell.exit.ExitCodeMappings;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * The shell, with one addition: after each command it tells its listeners the words, the command
 * they resolved to and whether it failed. It is the shell both runners use (interactive and one
 * command from the arguments), so recording sees everything typed, in either mode. It also runs
 * command lines for {@code replay} ({@link #execute}), exactly as if they were typed.
 */
public class RecordingShell extends Shell {
    private final ResultHandlerService results;
    private final CommandCatalog catalog;
    private final CommandOutcomes outcomes;
    private final Terminal terminal;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** One evaluated command. {@code failure} is null when it succeeded. */
    public record Evaluation(List<String> words, String command, CommandRegistration registration, Exception failure) {
        public boolean ok() {
            return failure == null;
        }
    }

    @FunctionalInterface
    public interface Listener {
        void evaluated(Evaluation e);
    }

    public RecordingShell(ResultHandlerService results, CommandCatalog catalog, Terminal terminal,
                          ShellContext shellContext, ExitCodeMappings exitCodeMappings, CommandOutcomes outcomes) {
        super(results, catalog, terminal, shellContext, exitCodeMappings);
        this.results = results;
        this.catalog = catalog;
        this.outcomes = outcomes;
        this.terminal = terminal;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    @Override
    protected Object evaluate(Input input) {
        outcomes.open();
        Object result;
        Exception seen;
        try {
            result = super.evaluate(input);
        } finally {
            seen = outcomes.close();
        }
        if (result == NO_INPUT || result instanceof ExitRequest) {
            return result;
        }
        Exception failure = seen != null ? seen : result instanceof Exception e ? e : null;
        List<String> words = input.words().stream().filter(w -> !w.isEmpty()).toList();
        String command = command(words);
        Evaluation ev = new Evaluation(words, command, command == null ? null : catalog.getRegistrations().get(command),
                failure == null && command == null ? new CommandNotFound(words) : failure);
        for (Listener l : listeners) {
            try {
                l.evaluated(ev);
            } catch (RuntimeException ex) {
                // a listener must never break the shell loop; say what went wrong and go on
                terminal.writer().println("warning: " + io.cryptvol.ui.ErrorMessages.message(ex));
                terminal.writer().flush();
            }
        }
        return result;
    }

    /** Runs one command line for replay: evaluated and rendered as if typed at the prompt. */
    public Evaluation execute(List<String> words) {
        Evaluation[] last = new Evaluation[1];
        Listener capture = e -> last[0] = e;
        listeners.add(0, capture);
        try {
            String raw = ScriptFormat.join(words);
            Object result = evaluate(new Input() {
                @Override
                public String rawText() {
                    return raw;
                }

                @Override
                public List<String> words() {
                    return words;
                }
            });
            if (result != NO_INPUT && !(result instanceof ExitRequest)) {
                results.handle(result);
            }
        } finally {
            listeners.remove(capture);
        }
        return last[0];
    }

    /** Whether the command takes the long option {@code --name}. */
    public boolean hasOption(String command, String name) {
        CommandRegistration r = catalog.getRegistrations().get(command);
        return r != null && r.getOptions().stream().anyMatch(o -> java.util.Arrays.asList(o.getLongNames()).contains(name));
    }

    /** The longest registered command the words start with, or null (the same rule as the shell's). */
    public String command(List<String> words) {
        String line = words.stream().collect(Collectors.joining(" ")).trim();
        String best = null;
        for (Map.Entry<String, CommandRegistration> e : catalog.getRegistrations().entrySet()) {
            String c = e.getKey();
            if ((line.equals(c) || line.startsWith(c + " ")) && (best == null || c.length() > best.length())) {
                best = c;
            }
        }
        return best;
    }
}
