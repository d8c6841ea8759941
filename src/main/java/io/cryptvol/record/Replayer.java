package io.cryptvol.record;

import io.cryptvol.CryptvolException;
import io.cryptvol.exec.HostCommand;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import io.cryptvol.shell.ErrorHandling;
import io.cryptvol.shell.Ui;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a script through the shell, line by line: echoes each line with its progress, stops at the first
 * failure with {@code FILE:LINE}, the command and the error, and says how to resume. Everything is checked
 * before the first command runs: syntax, variables, that every line names a command.
 */
public class Replayer {
    private final RecordingShell shell;
    private final SessionMode mode;
    private final SessionContext context;
    private final Prompter prompter;
    private final Ui ui;

    /** What to replay and how. {@code file} is shown as given. */
    public record Request(String file, Map<String, String> vars, boolean dryRun, int fromLine, boolean yes) {
    }

    public Replayer(RecordingShell shell, SessionMode mode, SessionContext context, Prompter prompter, Ui ui) {
        this.shell = shell;
        this.mode = mode;
        this.context = context;
        this.prompter = prompter;
        this.ui = ui;
    }

    /** Parses and checks a script file; nothing runs. */
    public Script load(Request r) {
        String text;
        try {
            text = Files.readString(Path.of(r.file()));
        } catch (IOException e) {
            throw new CryptvolException("cannot read " + r.file() + ": " + e.getMessage(), 2, null);
        }
        Script script = ScriptFormat.parse(r.file(), text, r.vars());
        for (Script.Line line : script.commands()) {
            List<String> words = line.words().stream().map(w -> w.isPrompt() ? "x" : w.text()).toList();
            String command = shell.command(words);
            if (command == null) {
                throw new ScriptException(r.file(), line.number(), "no such command: " + line.display());
            }
            if (command.equals("replay") || command.startsWith("record ")) {
                throw new ScriptException(r.file(), line.number(), "'" + command + "' cannot run inside a replay");
            }
        }
        return script;
    }

    public void replay(Request r) {
        Script script = load(r);
        List<Script.Line> todo = script.commands().stream().filter(l -> l.number() >= r.fromLine()).toList();
        if (todo.isEmpty()) {
            throw new CryptvolException(r.file() + " has no command at or after line " + r.fromLine(), 2, null);
        }
        int n = todo.size();
        if (!r.dryRun() && !r.yes() && !mode.assumeYes()
                && !prompter.confirm("Run " + n + " command" + (n == 1 ? "" : "s") + " from " + r.file()
                + " on " + context.target().display() + "?")) {
            throw new CryptvolException("replay cancelled; nothing was run", 1, null);
        }
        Map<String, String> secrets = secrets(todo, r.dryRun());
        ContextState before = context.state();
        List<SessionMode.Scope> scopes = new ArrayList<>();
        if (r.dryRun()) {
            scopes.add(mode.enterDryRun());
        }
        scopes.add(mode.assumingYes());
        try {
            for (int i = 0; i < n; i++) {
                Script.Line line = todo.get(i);
                ui.println(ui.dim("[" + (i + 1) + "/" + n + "] " + r.file() + ":" + line.number()) + "  " + ui.bold(line.display()));
                List<String> words = line.words().stream().map(w -> w.isPrompt() ? secrets.get(w.prompt()) : w.text()).toList();
                RecordingShell.Evaluation ev = shell.execute(words);
                if (ev == null || !ev.ok()) {
                    Exception failure = ev == null ? new CryptvolException("no result") : ev.failure();
                    throw new CryptvolException("replay stopped at " + r.file() + ":" + line.number()
                            + " (command " + (i + 1) + " of " + n + ") '" + line.display() + "': "
                            + ErrorHandling.message(failure) + " — fix it, then resume with: " + resume(r, line.number()),
                            Math.max(1, ErrorHandling.exitCode(failure)), null);
                }
            }
        } finally {
            for (int k = scopes.size() - 1; k >= 0; k--) {
                scopes.get(k).close();
            }
            if (r.dryRun()) {
                context.restore(before); // a dry run leaves the session as it found it
            }
        }
        if (r.dryRun()) {
            List<HostCommand> plan = mode.planned();
            ui.println("");
            ui.println(ui.bold("Dry run of " + r.file() + ": " + n + " command" + (n == 1 ? "" : "s") + ", nothing was changed."));
            if (plan.isEmpty()) {
                ui.println("No host command would run.");
            } else {
                ui.println("Combined plan (" + plan.size() + " host command" + (plan.size() == 1 ? "" : "s") + "):");
                for (int k = 0; k < plan.size(); k++) {
                    ui.println(String.format("%3d. %s%n     %s", k + 1, plan.get(k).description(), plan.get(k).commandLine()));
                }
            }
        } else {
            ui.ok("replayed " + n + " command" + (n == 1 ? "" : "s") + " from " + r.file());
        }
    }

    /** Asks once for each {@code ${?name}} the lines use (not in a dry run: nothing is done with them). */
    private Map<String, String> secrets(List<Script.Line> lines, boolean dryRun) {
        Set<String> names = new LinkedHashSet<>();
        lines.forEach(l -> names.addAll(l.prompts()));
        Map<String, String> values = new LinkedHashMap<>();
        for (String name : names) {
            if (dryRun) {
                values.put(name, "dry-run-placeholder");
                continue;
            }
            String v = prompter.ask(name.replace('_', ' ') + " (for ${?" + name + "}, not echoed): ", true);
            if (v == null || v.isEmpty()) {
                throw new CryptvolException("no value for ${?" + name + "}; nothing was run", 2, null);
            }
            values.put(name, v);
        }
        return values;
    }

    static String resume(Request r, int line) {
        StringBuilder sb = new StringBuilder("replay ").append(ScriptFormat.quote(r.file())).append(" --from-line ").append(line);
        r.vars().forEach((k, v) -> sb.append(" --var ").append(ScriptFormat.quote(k + "=" + v)));
        if (r.dryRun()) {
            sb.append(" --dry-run");
        }
        if (r.yes()) {
            sb.append(" --yes");
        }
        return sb.toString();
    }
}
