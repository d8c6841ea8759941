package io.cryptvol.record;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.session.ContextState;
import io.cryptvol.session.Prompt;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import io.cryptvol.ui.ErrorMessages;
import io.cryptvol.ui.Output;

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
 * before the first command runs: syntax, variables, that every line names a command. Before any question the
 * whole script is shown as it will run ({@link ScriptPreview}); lines that destroy something need their own
 * confirmation.
 */
public class Replayer {
    private final RecordingShell shell;
    private final SessionMode mode;
    private final SessionContext context;
    private final Prompt prompter;
    private final Output ui;
    private final RehearsalState rehearsalState;

    /**
     * What to replay and how. {@code file} is shown as given. {@code yes} answers the question before the run;
     * {@code yesDestroy} also allows the lines that destroy something for good, which {@code yes} alone does not.
     */
    public record Request(String file, Map<String, String> vars, boolean dryRun, int fromLine, boolean yes, boolean yesDestroy) {
        public Request(String file, Map<String, String> vars, boolean dryRun, int fromLine, boolean yes) {
            this(file, vars, dryRun, fromLine, yes, false);
        }
    }

    /**
     * Where a rehearsal runs: a fresh sandbox the session is pointed at (target, instance, EC2 endpoint),
     * and back again. The shell's sandbox implements it; tests give a fake.
     */
    public interface Stage {
        /** True when the sandbox already runs (a rehearsal then resets it, deleting its volumes and snapshots). */
        boolean running();

        /** Starts (or resets) the sandbox and points the session at it; returns what to call it in messages. */
        String enter(ContextState before);

        /** Why the session no longer points only at the sandbox (the script changed target or endpoint), or null. */
        String breach();

        /** Leaves the sandbox and puts the session (target, instance, VG..., AWS settings) back as {@code before}. */
        void leave(ContextState before);
    }

    /** How a rehearsal ended, for the command to render and for tests. */
    public record Rehearsal(boolean ok, String where, int commands, java.time.Duration took, String failure) {
    }

    public Replayer(RecordingShell shell, SessionMode mode, SessionContext context, Prompt prompter, Output ui,
                    RehearsalState rehearsalState) {
        this.rehearsalState = rehearsalState;
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
            throw new CryptvolException("cannot read " + r.file() + ": " + e.getMessage(), ExitCode.USAGE, null);
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
            if (r.dryRun() && !shell.hasOption(command, "dry-run") && !RecordRules.DRY_RUN_SAFE.contains(command)) {
                throw new ScriptException(r.file(), line.number(), "'" + command + "' has no dry run (it would change "
                        + "something and cannot show a plan); nothing was run");
            }
        }
        return script;
    }

    /**
     * The words a line runs with: secrets filled in. A dry run adds nothing: the line runs inside the session's
     * dry run ({@link SessionMode}), which every changing command honours at its seams.
     */
    private List<String> words(Request r, Script.Line line, Map<String, String> secrets) {
        return new ArrayList<>(line.words().stream()
                .map(w -> w.isPrompt() ? secrets.get(w.prompt()) : w.text()).toList());
    }

    /**
     * Runs a script. Before any question it shows every line as it will run, the targets it reaches and the lines
     * that run host code from the script or destroy something; then asks once (unless {@code --yes}), and asks
     * again for each destroying line, which the user allows by typing its name (or {@code --yes-destroy}).
     * Without someone to answer ({@link Prompt#interactive()}) a replay needs {@code --yes} (and
     * {@code --yes-destroy} for destroying lines) and refuses in one line otherwise.
     */
    public void replay(Request r) {
        boolean interactive = prompter.interactive();
        List<Script.Line> todo = todo(r);
        int n = todo.size();
        ScriptPreview.Preview preview = ScriptPreview.of(r.file(), todo, context.target().display(), shell::command);
        if (r.dryRun()) {
            ui.println(ui.bold("Dry run of " + r.file() + " (" + plural(n) + ") on " + preview.targetsText()
                    + "; nothing will be changed"));
            run(r, todo, secrets(todo, true), null);
            return;
        }
        boolean ask = !r.yes() && !mode.assumeYes();
        if (ask && !interactive) {
            throw new CryptvolException("not replaying " + r.file() + " (" + plural(n) + " on " + preview.targetsText()
                    + ") without a yes, and no one can answer here: check it with --dry-run, then add --yes", ExitCode.USAGE, null);
        }
        refuseUnconfirmableDestruction(r, preview, interactive);
        announce(r, preview);
        if (ask && !prompter.confirm("Run " + plural(n) + " from " + r.file() + " on " + preview.targetsText() + "?", false)) {
            throw new CryptvolException("replay cancelled; nothing was run", ExitCode.FAILED, null);
        }
        confirmDestruction(r, preview);
        run(r, todo, secrets(todo, false), null);
    }

    /** Every line as it will run, the targets, and the marked lines; on the terminal, before any question. */
    private void announce(Request r, ScriptPreview.Preview p) {
        int n = p.entries().size();
        ui.println(ui.bold("Replay of " + r.file() + ": " + plural(n) + " on " + p.targetsText()));
        String current = p.targets().get(0);
        for (ScriptPreview.Entry e : p.entries()) {
            boolean moves = !e.target().equals(current);
            current = e.target();
            ui.println("  " + ui.dim(e.where()) + "  " + e.shown() + (moves ? ui.dim("   → now on " + e.target()) : ""));
            if (e.hostCode() != null) {
                ui.println("      " + ui.yellow("! runs host code from the script as root (sh -c) on " + e.target() + ": "
                        + e.hostCode()));
            }
            if (e.destroys() != null) {
                ui.println("      " + ui.red("! destroys: " + e.destroys().what() + "; asked separately"));
            }
        }
        long hooks = p.entries().stream().filter(e -> e.hostCode() != null).count();
        if (hooks > 0) {
            ui.println(ui.yellow(hooks + " line" + (hooks == 1 ? " runs" : "s run") + " host code written in " + r.file()
                    + "; read it before you agree"));
        }
    }

    /** Without a terminal, a destroying line needs --yes-destroy: refused in one line before anything is shown or run. */
    private void refuseUnconfirmableDestruction(Request r, ScriptPreview.Preview p, boolean interactive) {
        if (r.yesDestroy() || interactive) {
            return;
        }
        List<ScriptPreview.Entry> destructive = p.destructive();
        if (!destructive.isEmpty()) {
            ScriptPreview.Entry e = destructive.get(0);
            throw new CryptvolException(e.where() + " '" + e.shown() + "' " + e.destroys().what()
                    + ": a replay runs it only when you type '" + ScriptPreview.safe(e.destroys().confirmWord())
                    + "' at a terminal, or with --yes-destroy; nothing was run", ExitCode.USAGE, null);
        }
    }

    /**
     * Each destroying line is allowed on its own, by typing the name it destroys: a piped or reflexive 'y' is not
     * enough, and --yes does not answer it (--yes-destroy does).
     */
    private void confirmDestruction(Request r, ScriptPreview.Preview p) {
        if (r.yesDestroy()) {
            return;
        }
        for (ScriptPreview.Entry e : p.destructive()) {
            String word = e.destroys().confirmWord();
            String answer = prompter.ask(e.where() + " " + e.destroys().what() + ". Type '" + ScriptPreview.safe(word)
                    + "' to allow it (anything else stops the replay): ");
            if (answer == null || !answer.strip().equals(word)) {
                throw new CryptvolException("not confirmed: " + e.where() + " '" + e.shown() + "' " + e.destroys().what()
                        + "; nothing was run (type '" + ScriptPreview.safe(word) + "' when asked, or add --yes-destroy)", ExitCode.FAILED, null);
            }
        }
    }

    private List<Script.Line> todo(Request r) {
        Script script = load(r);
        if (r.fromLine() < 1 || r.fromLine() > script.lines()) {
            throw new CryptvolException("--from-line " + r.fromLine() + " is not a line of " + r.file() + " (1 to "
                    + script.lines() + ")", ExitCode.USAGE, null);
        }
        List<Script.Line> todo = script.commands().stream().filter(l -> l.number() >= r.fromLine()).toList();
        if (todo.isEmpty()) {
            throw new CryptvolException(r.file() + " has no command at or after line " + r.fromLine(), ExitCode.USAGE, null);
        }
        return todo;
    }

    /**
     * {@code replay FILE --rehearse}: runs the script with --yes on a fresh sandbox first and reports the
     * result before anything touches the real target; then, if the user agrees (or {@code r.yes()}), runs
     * it there. With {@code rehearseOnly} it stops after the rehearsal. The session context (target,
     * instance, VG, LV, mapping, mountpoint, AWS settings) is put back after the rehearsal, pass or fail.
     * Without someone to answer ({@link Prompt#interactive()}), the real run needs --yes.
     */
    public Rehearsal rehearse(Request r, Stage stage, boolean rehearseOnly) {
        boolean interactive = prompter.interactive();
        if (r.dryRun()) {
            throw new CryptvolException("--rehearse and --dry-run do not go together: a rehearsal really runs the script, on the sandbox", ExitCode.USAGE, null);
        }
        List<Script.Line> todo = todo(r); // syntax, variables and command names are checked before anything starts
        int n = todo.size();
        boolean yes = r.yes() || mode.assumeYes();
        ScriptPreview.Preview preview = ScriptPreview.of(r.file(), todo, context.target().display(), shell::command);
        // a rehearsal really runs the lines: a key is destroyed in the local key store, sandbox or not
        refuseUnconfirmableDestruction(r, preview, interactive);
        announce(r, preview);
        confirmDestruction(r, preview);
        if (stage.running() && !yes
                && !(interactive && prompter.confirm("The sandbox is running; reset it for the rehearsal (deletes its volumes and snapshots)?", false))) {
            throw new CryptvolException("rehearsal cancelled: the sandbox runs and resetting it needs a yes (or --yes); nothing was run", ExitCode.FAILED, null);
        }
        Map<String, String> secrets = secrets(todo, false); // asked once, for the rehearsal and the real run
        ContextState before = context.state();
        long t0 = System.nanoTime();
        String where = "the sandbox";
        Rehearsal result;
        ui.println(ui.bold("Rehearsal of " + r.file() + " (" + plural(n) + ") on a fresh sandbox; nothing touches "
                + before.target().display() + " yet."));
        RehearsalState.Scope own = rehearsalState.enter(); // its own key store, ledger and inventory
        try {
            where = stage.enter(before);
            run(new Request(r.file(), r.vars(), false, r.fromLine(), true, r.yesDestroy()), todo, secrets, stage);
            result = new Rehearsal(true, where, n, java.time.Duration.ofNanos(System.nanoTime() - t0), null);
        } catch (RuntimeException e) {
            result = new Rehearsal(false, where, n, java.time.Duration.ofNanos(System.nanoTime() - t0), ErrorMessages.message(e));
        } finally {
            try {
                stage.leave(before);
            } finally {
                try {
                    own.close();
                } catch (RuntimeException e) {
                    ui.warn(io.cryptvol.ui.ErrorMessages.message(e));
                }
            }
        }
        String secs = io.cryptvol.domain.Durations.took(result.took());
        if (!result.ok()) {
            throw new CryptvolException("rehearsal on " + where + " failed after " + secs + "; nothing was run on "
                    + before.target().display() + ": " + result.failure(), ExitCode.FAILED, null);
        }
        ui.ok("rehearsal passed: " + plural(n) + " from " + r.file() + " on " + where + " in " + secs
                + "; context back on " + before.target().display());
        if (rehearseOnly) {
            return result;
        }
        String question = "Now run " + plural(n) + " from " + r.file() + " for real on " + before.target().display() + "?";
        if (!yes) {
            if (!interactive) {
                throw new CryptvolException("rehearsal passed; not running " + r.file() + " on " + before.target().display()
                        + " without a yes: add --yes (or --rehearse-only to stop after the rehearsal)", ExitCode.USAGE, null);
            }
            if (!prompter.confirm(question, false)) {
                throw new CryptvolException("rehearsal passed; the real run was cancelled, nothing was run on "
                        + before.target().display(), ExitCode.FAILED, null);
            }
        }
        run(new Request(r.file(), r.vars(), false, r.fromLine(), true, r.yesDestroy()), todo, secrets, null);
        return result;
    }

    private static String plural(int n) {
        return n + " command" + (n == 1 ? "" : "s");
    }

    private void run(Request r, List<Script.Line> todo, Map<String, String> secrets, Stage rehearsal) {
        int n = todo.size();
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
                RecordingShell.Evaluation ev = shell.execute(words(r, line, secrets));
                if (ev == null || !ev.ok()) {
                    Exception failure = ev == null ? new CryptvolException("no result") : ev.failure();
                    throw CryptvolException.passingOn("replay stopped at " + r.file() + ":" + line.number()
                            + " (command " + (i + 1) + " of " + n + ") '" + line.display() + "': "
                            + ErrorMessages.message(failure) + " — fix it, then resume with: " + resume(r, line.number()) + (rehearsal != null ? " --rehearse" : ""),
                            ErrorMessages.exitCode(failure));
                }
                String breach = rehearsal == null ? null : rehearsal.breach();
                if (breach != null) {
                    throw new CryptvolException("rehearsal stopped after " + r.file() + ":" + line.number() + " '"
                            + line.display() + "': " + breach + "; a rehearsal stays on the sandbox", ExitCode.USAGE, null);
                }
            }
        } finally {
            if (r.dryRun()) {
                context.restore(before); // a dry run leaves the session as it found it (still inside it: nothing saved)
            }
            for (int k = scopes.size() - 1; k >= 0; k--) {
                scopes.get(k).close();
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
        } else if (rehearsal == null) {
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
            if (!prompter.interactive()) {
                // never from argv (--var would put a secret there): a secret is typed at a terminal only
                throw new CryptvolException("${?" + name + "} is a secret typed at the terminal, and nobody can answer here; "
                        + "nothing was run (replay it at a terminal)", ExitCode.USAGE, null);
            }
            char[] typed = prompter.askSecret(name.replace('_', ' ') + " (for ${?" + name + "}, not echoed): ");
            String v = typed == null ? null : new String(typed);
            if (typed != null) {
                java.util.Arrays.fill(typed, '\0');
            }
            if (v == null || v.isEmpty()) {
                throw new CryptvolException("no value for ${?" + name + "}; nothing was run", ExitCode.USAGE, null);
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
        if (r.yesDestroy()) {
            sb.append(" --yes-destroy");
        }
        return sb.toString();
    }
}
