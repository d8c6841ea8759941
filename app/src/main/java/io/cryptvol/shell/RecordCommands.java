package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolApplication;
import io.cryptvol.CryptvolException;
import io.cryptvol.record.NotRecorded;
import io.cryptvol.record.Parameterizer;
import io.cryptvol.record.Recorder;
import io.cryptvol.record.Replayer;
import io.cryptvol.record.ScriptException;
import io.cryptvol.record.ScriptFormat;
import io.cryptvol.session.SessionContext;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.command.CommandContext;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** record start|stop|status and replay: sessions written as scripts, and scripts run back. */
@Command(group = "Record and replay")
@NotRecorded
public class RecordCommands {
    private final Recorder recorder;
    private final Replayer replayer;
    private final SessionContext ctx;
    private final Ui ui;
    private final ObjectProvider<Replayer.Stage> rehearsalStage;

    public RecordCommands(Recorder recorder, Replayer replayer, SessionContext ctx, Ui ui,
                          ObjectProvider<Replayer.Stage> rehearsalStage) {
        this.recorder = recorder;
        this.replayer = replayer;
        this.ctx = ctx;
        this.ui = ui;
        this.rehearsalStage = rehearsalStage;
    }

    @Command(command = "record start", description = "Write every command that succeeds from now on to FILE, as a script for replay.")
    public void start(@Option(description = "the script to write (e.g. setup.cvsh)", required = true) String file,
                      @Option(longNames = "append", description = "add to an existing cryptvol script (a recording, or a .cvsh file "
                    + "whose lines parse); any other file is refused") boolean append) {
        Recorder.Active a = recorder.start(Path.of(file), append, version(), ctx.target().display());
        ui.ok("recording to " + a.file() + " (secrets are written as ${?name} prompts; 'record stop' ends it)");
    }

    @Command(command = "record stop", description = "Stop recording; --parameterize turns its names, keys and devices into variables.")
    public void stop(@Option(longNames = "parameterize", description = "rewrite the script with a 'set NAME=VALUE' line for "
            + "the target, connect options, VG, LV, mapping, mountpoint, each key and the devices, and ${NAME} where they "
            + "were, so that replay --var NAME=VALUE can change them") boolean parameterize) {
        Recorder.Active a = recorder.stop();
        if (a == null) {
            ui.println("not recording");
            return;
        }
        long n = Recorder.commandCount(a.file());
        ui.ok("recording stopped: " + n + " command" + (n == 1 ? "" : "s") + " in " + a.file());
        if (parameterize) {
            parameterize(a.file());
        }
    }

    /** Rewrites a stopped recording with variables ({@link Parameterizer}) and says which. */
    private void parameterize(Path file) {
        Parameterizer.Result r;
        try {
            r = Parameterizer.parameterize(file.toString(), Files.readAllLines(file));
        } catch (ScriptException e) {
            throw new CryptvolException("not parameterized, the script is left as recorded: " + e.getMessage(), ExitCode.USAGE, e);
        } catch (IOException e) {
            throw new CryptvolException("cannot read " + file + ": " + e.getMessage(), e);
        }
        int v = r.variables().size();
        if (v == 0) {
            ui.println("parameterized: no variables found, the script is as recorded");
            return;
        }
        try {
            Files.writeString(file, r.text());
        } catch (IOException e) {
            throw new CryptvolException("cannot rewrite " + file + ": " + e.getMessage(), e);
        }
        ui.ok("parameterized: " + v + " variable" + (v == 1 ? "" : "s") + " (" + String.join(", ", r.variables().keySet())
                + "); replay with --var NAME=VALUE to change them");
    }

    @Command(command = "record status", description = "Show whether a recording is in progress.")
    public void status() {
        Recorder.Active a = recorder.active();
        ui.println(a == null ? "not recording"
                : "recording to " + a.file() + " since " + a.since() + " (" + plural(Recorder.commandCount(a.file())) + ")");
    }

    @Command(command = "replay", description = "Run a script line by line: first show every line, the targets it reaches "
            + "and its host hooks, then ask; stop at the first failure and tell how to resume.")
    public void replay(
            @Option(description = "the script to run", required = true) String file,
            @Option(longNames = "var", description = "NAME=VALUE for ${NAME} in the script (repeatable)", arityMax = 64)
            String[] var,
            @Option(longNames = "dry-run", description = "run every line in dry-run mode and print the combined plan")
            boolean dryRun,
            @Option(longNames = "from-line", description = "start at the command on this line of the file (after a fix)", defaultValue = "1")
            int fromLine,
            @Option(longNames = "yes", shortNames = 'y', description = "answer yes to the question before the run and to every "
                    + "command's confirmation (not to lines that destroy a key, snapshots, volumes or the sandbox)") boolean yes,
            @Option(longNames = "yes-destroy", description = "also allow the lines that destroy a key, snapshots, volumes or "
                    + "the sandbox, without typing their names") boolean yesDestroy,
            @Option(longNames = "rehearse", description = "run it on a fresh sandbox first and report, before it touches the real target")
            boolean rehearse,
            @Option(longNames = "rehearse-only", description = "rehearse on the sandbox and stop there")
            boolean rehearseOnly,
            CommandContext command) {
        List<String> vars = varValues(command.getRawArgs());
        Replayer.Request request = new Replayer.Request(file, ScriptFormat.vars(vars), dryRun, fromLine, yes, yesDestroy);
        if (rehearse || rehearseOnly) {
            replayer.rehearse(request, rehearsalStage.getObject(), rehearseOnly);
            return;
        }
        replayer.replay(request);
    }

    @Command(command = "record export", description = "Write a recorded script as an SSM Command document (schema 2.2) that "
            + "replays it on each instance it runs on, for Run Command or State Manager.")
    public void export(
            @Option(description = "the script to export", required = true) String file,
            @Option(longNames = "ssm-document", description = "the document's name (its file is NAME.json)", required = true) String name,
            @Option(longNames = "output", shortNames = 'o', description = "where to write it (default NAME.json here)") String output) {
        String text;
        try {
            text = java.nio.file.Files.readString(Path.of(file));
        } catch (java.io.IOException e) {
            throw new io.cryptvol.CryptvolException("cannot read " + file + ": " + e.getMessage(), io.cryptvol.ExitCode.USAGE, null);
        }
        String json = io.cryptvol.record.SsmDocument.of(name, file, text);
        Path out = Path.of(output == null || output.isBlank() ? name + ".json" : output);
        try {
            java.nio.file.Files.writeString(out, json);
        } catch (java.io.IOException e) {
            throw new io.cryptvol.CryptvolException("cannot write " + out + ": " + e.getMessage(), io.cryptvol.ExitCode.FAILED, null);
        }
        ui.ok("wrote SSM document " + name + " to " + out + " (aws ssm create-document --name " + name
                + " --document-type Command --document-format JSON --content file://" + out + ")");
    }

    /**
     * Every value given to --var, whether repeated ({@code --var a=1 --var b=2}) or listed
     * ({@code --var a=1 b=2}): Spring Shell keeps only one occurrence of a repeated option.
     */
    static List<String> varValues(String[] raw) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String w : raw) {
            if (w.equals("--var")) {
                in = true;
            } else if (w.startsWith("--var=")) {
                out.add(w.substring("--var=".length()));
                in = false;
            } else if (w.startsWith("-")) {
                in = false;
            } else if (in) {
                out.add(w);
            }
        }
        return out;
    }


    private static String plural(long n) {
        return n + " command" + (n == 1 ? "" : "s");
    }

    static String version() {
        String v = CryptvolApplication.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
