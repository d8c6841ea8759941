package io.cryptvol.fleet;

import io.cryptvol.aws.AwsAccess;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code replay SCRIPT} for one host of a fleet in a cryptvol process of its own: its own session (target,
 * context, transcript, key store and ledger under {@code RUN_DIR/HOST/}, via {@code CRYPTVOL_HOME}), so that hosts
 * never share state, and the same {@code record/Replayer} that runs a script on one host. Its stdout and stderr go
 * to {@code RUN_DIR/HOST.log}; on failure the log's {@code replay stopped at FILE:LINE} (or a script error's
 * FILE:LINE) is the outcome's {@code where}.
 */
public final class ReplayProcess implements FleetRun.HostRunner {
    private static final Pattern STOPPED = Pattern.compile("replay stopped at (\\S+:\\d+)");
    private static final Pattern SCRIPT_ERROR = Pattern.compile("(?m)^(?:error: )?(\\S+\\.cvsh:\\d+)\\b");

    private final Path runDir;
    private final String script;
    private final Map<String, String> vars;
    private final boolean dryRun;
    private final boolean yesDestroy;
    private final AwsAccess.Configured aws;
    private final Duration timeout;

    public ReplayProcess(Path runDir, String script, Map<String, String> vars, boolean dryRun, boolean yesDestroy,
                         AwsAccess.Configured aws, Duration timeout) {
        this.runDir = runDir;
        this.script = script;
        this.vars = Map.copyOf(vars);
        this.dryRun = dryRun;
        this.yesDestroy = yesDestroy;
        this.aws = aws;
        this.timeout = timeout;
    }

    /** The child's command line: this JVM's java and class path, the AWS settings as properties, then replay. */
    List<String> command(FleetRun.Host host, Map<String, String> hostVars) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-cp");
        // the class path this JVM was started with (scripts/cryptvol: the product jars); a test may name another
        cmd.add(System.getProperty("cryptvol.fleet.classpath", System.getProperty("java.class.path")));
        String root = System.getProperty("cryptvol.root");
        if (root != null) {
            cmd.add("-Dcryptvol.root=" + root);
        }
        if (aws != null) {
            property(cmd, "cryptvol.aws.profile", aws.profile());
            property(cmd, "cryptvol.aws.region", aws.region());
            property(cmd, "cryptvol.aws.endpoint", aws.endpoint());
            if (aws.sandbox()) {
                cmd.add("-Dcryptvol.aws.sandbox=true");
            }
        }
        cmd.add("io.cryptvol.CryptvolApplication");
        cmd.add("replay");
        cmd.add(script);
        hostVars.forEach((k, v) -> {
            cmd.add("--var");
            cmd.add(k + "=" + v);
        });
        cmd.add(dryRun ? "--dry-run" : "--yes");
        if (yesDestroy && !dryRun) {
            cmd.add("--yes-destroy");
        }
        return cmd;
    }

    private static void property(List<String> cmd, String name, String value) {
        if (value != null) {
            cmd.add("-D" + name + "=" + value);
        }
    }

    /** The file names a host's log and state directory take (an instance id or user@host:port, made safe). */
    static String fileName(FleetRun.Host host) {
        return host.name().replaceAll("[^A-Za-z0-9._@-]", "_");
    }

    @Override
    public FleetRun.Outcome run(FleetRun.Host host) throws Exception {
        Map<String, String> hostVars = new java.util.LinkedHashMap<>(vars);
        hostVars.put("target", host.target());
        Path home = runDir.resolve(fileName(host));
        Path log = runDir.resolve(fileName(host) + ".log");
        Files.createDirectories(home);
        Files.deleteIfExists(log);
        Files.createFile(log, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        ProcessBuilder pb = new ProcessBuilder(command(host, hostVars))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("CRYPTVOL_HOME", home.toString());
        pb.environment().put("NO_COLOR", "1");
        long t0 = System.nanoTime();
        Process p = pb.start();
        boolean done = p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            p.waitFor();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        int rc = done ? p.exitValue() : -1;
        if (rc == 0) {
            return new FleetRun.Outcome(host, FleetRun.State.OK, 0, took, null, null, log);
        }
        String text = read(log);
        return new FleetRun.Outcome(host, FleetRun.State.FAILED, rc, took, where(text),
                done ? lastLine(text) : "did not end within " + timeout.toMinutes() + " min", log);
    }

    static String where(String log) {
        Matcher m = STOPPED.matcher(log);
        if (m.find()) {
            return m.group(1);
        }
        m = SCRIPT_ERROR.matcher(log);
        return m.find() ? m.group(1) : null;
    }

    static String lastLine(String log) {
        List<String> lines = log.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        return lines.isEmpty() ? "no output" : io.cryptvol.domain.ControlChars.escape(lines.get(lines.size() - 1));
    }

    static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
