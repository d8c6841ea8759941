package io.cryptvol.fleet;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.exec.SsmExecutor;
import io.cryptvol.record.Replayer;
import io.cryptvol.session.Dirs;
import io.cryptvol.session.Prompt;
import io.cryptvol.session.Target;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.InstanceInformationStringFilter;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code fleet replay SCRIPT}: the hosts (SSM instances by id or by tag, or SSH hosts) are resolved and checked, and
 * the script is checked once ({@link Replayer#load}: syntax, variables, command names, dry runs), all before anything
 * runs anywhere; then each host replays it in a process of its own ({@link ReplayProcess}), within
 * --max-concurrency and --max-errors ({@link FleetRun}).
 */
public final class FleetService {
    private static final Pattern TAG = Pattern.compile("^tag:([^=\\s]{1,128})=(\\S{1,256})$");

    private final AwsAccess aws;
    private final Replayer replayer;
    private final Prompt prompt;

    public FleetService(AwsAccess aws, Replayer replayer, Prompt prompt) {
        this.aws = aws;
        this.replayer = replayer;
        this.prompt = prompt;
    }

    /** What to run where. Exactly one of {@code instances}, {@code targets}, {@code hosts}. */
    public record Request(String script, List<String> instances, String targets, List<String> hosts, String identity,
                          String knownHosts, Map<String, String> vars, int maxConcurrency, int maxErrors, boolean dryRun,
                          boolean yes, boolean yesDestroy, Duration perHostTimeout) {
    }

    /** The outcomes and where the logs and per-host state are; in a dry run, each host's log is its plan. */
    public record Report(FleetRun.Result result, Path runDir, boolean dryRun) {
        /** The hosts whose log is their plan, to show (none unless a dry run). */
        public List<FleetRun.Outcome> plans() {
            return dryRun ? result.outcomes() : List.of();
        }
    }

    public Report replay(Request r) {
        int given = (r.instances().isEmpty() ? 0 : 1) + (r.targets() == null ? 0 : 1) + (r.hosts().isEmpty() ? 0 : 1);
        if (given != 1) {
            throw usage("fleet replay needs exactly one of --instances i-…,…, --targets tag:KEY=VALUE or --hosts user@host,…");
        }
        if (r.maxConcurrency() < 1) {
            throw usage("--max-concurrency must be at least 1, not " + r.maxConcurrency());
        }
        if (r.maxErrors() < 0) {
            throw usage("--max-errors must be 0 or more, not " + r.maxErrors());
        }
        if (r.vars().containsKey("target")) {
            throw usage("--var target=… is set by fleet replay for each host; give the hosts with --instances, --targets or --hosts");
        }
        List<FleetRun.Host> hosts = new ArrayList<>();
        Map<String, String> vars = new LinkedHashMap<>(r.vars());
        if (!r.hosts().isEmpty()) {
            for (String h : r.hosts()) {
                Target t = Target.ssh(h, r.identity(), r.knownHosts());
                hosts.add(new FleetRun.Host(t.display(), t.user() + "@" + (t.host().contains(":") ? "[" + t.host() + "]" : t.host()) + ":" + t.port()));
            }
            if (r.identity() != null) {
                vars.put("identity", r.identity());
            }
            if (r.knownHosts() != null) {
                vars.put("known_hosts", r.knownHosts());
            }
        } else {
            List<String> ids = r.targets() != null ? tagged(r.targets()) : r.instances();
            for (String id : ids) {
                if (!SsmExecutor.isInstanceId(id)) {
                    throw usage("not an instance id: '" + ControlChars.escape(id) + "' (expected i- and 17 hex digits)");
                }
            }
            checkManaged(ids);
            ids.forEach(id -> hosts.add(new FleetRun.Host(id, "ssm:" + id)));
        }
        if (hosts.stream().map(FleetRun.Host::name).distinct().count() != hosts.size()) {
            throw usage("a host is named twice: " + hosts.stream().map(FleetRun.Host::name).toList());
        }
        // the script as each host will run it: one line for a syntax error, an unknown command or a line with no dry run
        Map<String, String> first = new LinkedHashMap<>(vars);
        first.put("target", hosts.get(0).target());
        replayer.load(new Replayer.Request(r.script(), first, r.dryRun(), 1, r.yes(), r.yesDestroy()));
        if (!r.dryRun() && !r.yes()) {
            if (!prompt.interactive()) {
                throw usage("not running " + r.script() + " on " + hosts.size() + " host" + (hosts.size() == 1 ? "" : "s")
                        + " without a yes, and no one can answer here: check it with --dry-run, then add --yes");
            }
            if (!prompt.confirm("Replay " + r.script() + " on " + hosts.size() + " hosts (" + names(hosts) + "), "
                    + r.maxConcurrency() + " at a time?", false)) {
                throw new CryptvolException("fleet replay cancelled; nothing was run", ExitCode.FAILED, null);
            }
        }
        Path runDir = runDir();
        ReplayProcess child = new ReplayProcess(runDir, Path.of(r.script()).toAbsolutePath().toString(), vars, r.dryRun(),
                r.yesDestroy(), aws.configured(), r.perHostTimeout());
        return new Report(FleetRun.run(hosts, r.maxConcurrency(), r.maxErrors(), child), runDir, r.dryRun());
    }

    private List<String> tagged(String spec) {
        Matcher m = TAG.matcher(spec);
        if (!m.matches()) {
            throw usage("--targets takes tag:KEY=VALUE (e.g. tag:Name=db-*), not '" + ControlChars.escape(spec) + "'");
        }
        List<String> ids = aws.ebs().instancesTagged(m.group(1), m.group(2));
        if (ids.isEmpty()) {
            throw new CryptvolException("no instance has a tag " + ControlChars.escape(m.group(1)) + " matching '"
                    + ControlChars.escape(m.group(2)) + "' in " + aws.ebs().region() + "; nothing was run", ExitCode.FAILED, null);
        }
        return ids;
    }

    /** Every instance must be managed with its agent Online; else one line naming the first that is not. */
    private void checkManaged(List<String> ids) {
        Map<String, String> ping = new LinkedHashMap<>();
        try (SsmClient ssm = aws.clients().configure(SsmClient.builder(), null).build()) {
            for (int i = 0; i < ids.size(); i += 40) {
                List<String> part = ids.subList(i, Math.min(ids.size(), i + 40));
                for (var page : ssm.describeInstanceInformationPaginator(b -> b.filters(InstanceInformationStringFilter.builder()
                        .key("InstanceIds").values(part).build()))) {
                    for (InstanceInformation info : page.instanceInformationList()) {
                        ping.put(info.instanceId(), info.pingStatusAsString());
                    }
                }
            }
        } catch (SdkException e) {
            throw new CryptvolException("cannot ask Systems Manager about the fleet: " + ControlChars.oneLine(String.valueOf(e.getMessage())),
                    ExitCode.FAILED, e);
        }
        for (String id : ids) {
            String p = ping.get(id);
            if (p == null) {
                throw new CryptvolException(id + " is not a managed instance: Systems Manager has no agent registered for it; nothing was run",
                        ExitCode.FAILED, null);
            }
            if (!"Online".equals(p)) {
                throw new CryptvolException("the SSM agent of " + id + " is " + ControlChars.escape(p) + ", not Online; nothing was run",
                        ExitCode.FAILED, null);
            }
        }
    }

    private static Path runDir() {
        Path dir = Dirs.state().resolve("fleet").resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-" + Long.toHexString(Double.doubleToLongBits(Math.random())).substring(0, 6));
        Dirs.ensurePrivateDir(dir.getParent());
        Dirs.ensurePrivateDir(dir);
        return dir;
    }

    private static String names(List<FleetRun.Host> hosts) {
        List<String> n = hosts.stream().map(FleetRun.Host::name).toList();
        return n.size() <= 4 ? String.join(", ", n) : String.join(", ", n.subList(0, 3)) + ", … " + n.get(n.size() - 1);
    }

    private static CryptvolException usage(String message) {
        return new CryptvolException(message, ExitCode.USAGE, null);
    }
}
