package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.fleet.FleetRun;
import io.cryptvol.fleet.FleetService;
import io.cryptvol.record.NotRecorded;
import io.cryptvol.record.ScriptFormat;
import org.springframework.shell.command.CommandContext;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** fleet replay: one script on many hosts, through SSM or SSH. */
@Command(group = "Fleet")
@NotRecorded
public class FleetCommands {
    private final FleetService fleet;
    private final Ui ui;

    public FleetCommands(FleetService fleet, Ui ui) {
        this.fleet = fleet;
        this.ui = ui;
    }

    @Command(command = "fleet replay", description = "Replay a script on many hosts (SSM instances by id or tag, or SSH hosts), "
            + "N at a time; a log per host, a summary table, and exit 1 when any host failed.")
    public void replay(
            @Option(description = "the script to run on every host (its connect line uses ${target})", required = true) String script,
            @Option(longNames = "instances", description = "instance ids reached through SSM, comma-separated") String instances,
            @Option(longNames = "targets", description = "tag:KEY=VALUE: the instances with that tag (wildcards * and ?), through SSM") String targets,
            @Option(longNames = "hosts", description = "user@host[:port] reached over SSH, comma-separated") String hosts,
            @Option(longNames = "identity", shortNames = 'i', description = "SSH private key file for --hosts") String identity,
            @Option(longNames = "known-hosts", description = "known_hosts file for --hosts") String knownHosts,
            @Option(longNames = "var", description = "NAME=VALUE for ${NAME} in the script (repeatable)", arityMax = 64) String[] var,
            @Option(longNames = "max-concurrency", description = "hosts run at the same time", defaultValue = "5") int maxConcurrency,
            @Option(longNames = "max-errors", description = "once more hosts than this have failed, start no more", defaultValue = "0") int maxErrors,
            @Option(longNames = "dry-run", description = "every host's plan, nothing changed") boolean dryRun,
            @Option(longNames = "yes", shortNames = 'y', description = "answer yes before the run and on every host") boolean yes,
            @Option(longNames = "yes-destroy", description = "also allow lines that destroy something") boolean yesDestroy,
            CommandContext command) {
        FleetService.Report report = fleet.replay(new FleetService.Request(script, list(instances), blankToNull(targets),
                list(hosts), absolute(identity), absolute(knownHosts), ScriptFormat.vars(RecordCommands.varValues(command.getRawArgs())),
                maxConcurrency, maxErrors, dryRun, yes, yesDestroy, Duration.ofHours(2)));
        FleetRun.Result result = report.result();
        for (FleetRun.Outcome o : report.plans()) { // a dry run: each host's log is its plan
            ui.println(ui.bold("== " + o.host().name() + " =="));
            if (o.log() != null) {
                try {
                    Files.readString(o.log()).lines().forEach(l -> ui.println(ControlChars.escapeKeepingColour(l)));
                } catch (IOException e) {
                    ui.warn("cannot read " + o.log() + ": " + e.getMessage());
                }
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (FleetRun.Outcome o : result.outcomes()) {
            rows.add(List.of(o.host().name(), switch (o.state()) {
                        case OK -> "ok";
                        case FAILED -> "FAILED";
                        case NOT_STARTED -> "not started";
                    }, o.state() == FleetRun.State.NOT_STARTED ? "-" : String.format("%.1f s", o.took().toMillis() / 1000.0),
                    o.where() == null ? "-" : ControlChars.escape(o.where()),
                    o.state() == FleetRun.State.FAILED && o.reason() != null ? trim(o.reason()) : "-",
                    o.log() == null ? "-" : o.log().toString()));
        }
        ui.table(List.of("HOST", "RESULT", "TOOK", "WHERE", "WHY", "LOG"), rows);
        long failed = result.failed();
        long notStarted = result.notStarted();
        int n = result.outcomes().size();
        ui.diagnostic("logs and each host's session (keys included) under " + report.runDir());
        if (result.maxErrorsExceeded()) {
            throw new CryptvolException("--max-errors " + maxErrors + " exceeded: " + failed + " of " + n + " host"
                    + (n == 1 ? "" : "s") + " failed" + (notStarted > 0 ? ", " + notStarted + " not started" : ""), ExitCode.FAILED, null);
        }
        if (failed > 0) {
            throw new CryptvolException(failed + " of " + n + " hosts failed (see WHERE and the logs); the others finished",
                    ExitCode.FAILED, null);
        }
        ui.ok((dryRun ? "dry run of " : "replayed ") + script + " on " + n + " host" + (n == 1 ? "" : "s"));
    }

    private static String trim(String s) {
        String e = ControlChars.escape(s);
        return e.length() > 100 ? e.substring(0, 99) + "…" : e;
    }

    private static List<String> list(String csv) {
        if (csv == null || csv.isBlank()) {
            return List.of();
        }
        return Arrays.stream(csv.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static String absolute(String path) {
        return path == null || path.isBlank() ? null : io.cryptvol.session.Dirs.expandHome(path).toAbsolutePath().toString();
    }
}
