package io.cryptvol.sandbox.ssm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.cryptvol.sandbox.api.SandboxService;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * AWS Systems Manager as the sandbox serves it (JSON 1.1, {@code X-Amz-Target: AmazonSSM.*}, signing name
 * {@code ssm}) for Run Command: SendCommand (document AWS-RunShellScript, parameters {@code commands} and
 * {@code executionTimeout}), GetCommandInvocation, ListCommands, ListCommandInvocations and
 * DescribeInstanceInformation. Written to SSM's documented behaviour:
 * <ul>
 *   <li>an invocation is not there for a short while after SendCommand: GetCommandInvocation answers
 *       {@code InvocationDoesNotExist} ({@link #invisibleFor});</li>
 *   <li>Pending → InProgress → Success, Failed (non-zero exit), TimedOut (execution timeout) or Undeliverable;
 *       ResponseCode is the script's exit code (-1 while it runs);</li>
 *   <li>GetCommandInvocation gives the first 24,000 characters of standard output and 8,000 of standard error;
 *       ListCommandInvocations' plugin Output the first 2,500;</li>
 *   <li>SendCommand to an instance that is not managed, or whose agent is not Online, fails with
 *       {@code InvalidInstanceId};</li>
 *   <li>a throttling switch ({@link #throttleNext}) answers {@code ThrottlingException}, as SSM does under load;</li>
 *   <li>S3 output: SendCommand's {@code OutputS3BucketName} / {@code OutputS3KeyPrefix} make the agent upload each
 *       invocation's whole standard output and error (when not empty) to
 *       {@code PREFIX/COMMAND_ID/INSTANCE_ID/awsrunShellScript/0.awsrunShellScript/stdout} (and {@code stderr}), the
 *       layout of AWS-RunShellScript's plugin, through {@link #outputsTo} (the sandbox's S3); GetCommandInvocation
 *       then gives the objects' URLs in StandardOutputUrl / StandardErrorUrl. A bucket the agent cannot write to
 *       leaves no object, as a missing s3:PutObject permission does.</li>
 * </ul>
 * Each managed instance has an {@link SsmAgent} that really runs the script ({@link SshAgent}: in the test
 * instance). Everything SSM keeps (commands with their parameters, every invocation's full output) is kept,
 * and saved to {@code history.json} in the data directory when one is given: {@link #history()} for leak scans.
 */
public final class SandboxSsmService implements SandboxService {
    public static final int STDOUT_LIMIT = 24_000;
    public static final int STDERR_LIMIT = 8_000;
    public static final int LIST_OUTPUT_LIMIT = 2_500;
    public static final String RUN_SHELL_SCRIPT = "AWS-RunShellScript";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private record Managed(SsmAgent agent, String region) {
    }

    /** Where the agent uploads outputs when a command asks for S3 output (the instance profile's s3:PutObject). */
    @FunctionalInterface
    public interface OutputStore {
        /** Puts one object; false when the bucket is not there or refuses the agent. */
        boolean put(String bucket, String key, byte[] body);
    }

    /** The plugin directory of AWS-RunShellScript's one step under an S3 output prefix. */
    public static final String PLUGIN_DIR = "awsrunShellScript/0.awsrunShellScript";

    /** The S3 key of an invocation's output, as the agent lays it out: PREFIX/COMMAND/INSTANCE/awsrunShellScript/0.awsrunShellScript/stdout. */
    public static String outputKey(String prefix, String commandId, String instanceId, String stream) {
        String p = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
        return (p.isEmpty() ? "" : p + "/") + commandId + "/" + instanceId + "/" + PLUGIN_DIR + "/" + stream;
    }

    private final Map<String, Managed> agents = new ConcurrentHashMap<>();
    private final Map<String, String> pingStatus = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> commands = new LinkedHashMap<>();
    /**
     * commandId + "/" + instanceId → invocation (with the full output under _FullStdout/_FullStderr; for a command
     * with S3 output, what SSM keeps of it, the first 24,000 / 8,000 characters: the whole is in S3).
     */
    private final Map<String, ObjectNode> invocations = new LinkedHashMap<>();
    private final Map<String, Instant> visibleAt = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final AtomicInteger throttle = new AtomicInteger();
    private final ExecutorService runner = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sandbox-ssm-agent");
        t.setDaemon(true);
        return t;
    });
    private final Path dataDir;
    private volatile Duration invisibleFor = Duration.ofMillis(300);
    private volatile Duration deliveryDelay = Duration.ofMillis(50);
    private volatile OutputStore outputs;

    /** @param dataDir where history.json is kept, or null to keep it in memory only */
    public SandboxSsmService(Path dataDir) {
        this.dataDir = dataDir;
    }

    @Override
    public String signingName() {
        return "ssm";
    }

    /** Registers an instance's agent (Online). A second registration replaces the first (a new boot). */
    public SandboxSsmService manage(String instanceId, String region, SsmAgent agent) {
        Managed old = agents.put(instanceId, new Managed(agent, region));
        if (old != null && old.agent() != agent) {
            old.agent().close();
        }
        pingStatus.put(instanceId, "Online");
        return this;
    }

    /** Online, ConnectionLost or Inactive, as DescribeInstanceInformation shows it; SendCommand needs Online. */
    public SandboxSsmService pingStatus(String instanceId, String status) {
        pingStatus.put(instanceId, status);
        return this;
    }

    /** How long an invocation answers InvocationDoesNotExist after SendCommand (300 ms by default). */
    public SandboxSsmService invisibleFor(Duration d) {
        invisibleFor = d;
        return this;
    }

    /** How long an invocation stays Pending before its agent takes it (50 ms by default). */
    public SandboxSsmService deliveryDelay(Duration d) {
        deliveryDelay = d;
        return this;
    }

    /** Where agents upload outputs of commands sent with OutputS3BucketName (none: no object is ever written). */
    public SandboxSsmService outputsTo(OutputStore store) {
        outputs = store;
        return this;
    }

    /** The next {@code n} requests (of any operation) are answered ThrottlingException. */
    public SandboxSsmService throttleNext(int n) {
        throttle.set(n);
        return this;
    }

    /** Requests per operation so far. */
    public Map<String, Integer> calls() {
        Map<String, Integer> m = new java.util.TreeMap<>();
        calls.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Everything this SSM kept (commands, their parameters, every invocation with its full output), as JSON. */
    public synchronized String history() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode c = root.putArray("Commands");
        commands.values().forEach(c::add);
        ArrayNode i = root.putArray("Invocations");
        invocations.values().forEach(i::add);
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Commands sent so far, oldest first (as ListCommands shows them). */
    public synchronized int commandCount() {
        return commands.size();
    }

    // ------------------------------------------------------------------ HTTP

    @Override
    public void handle(HttpExchange ex, String region) throws IOException {
        String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
        byte[] body = ex.getRequestBody().readAllBytes();
        String op = target != null && target.startsWith("AmazonSSM.") ? target.substring("AmazonSSM.".length()) : null;
        if (op == null) {
            error(ex, 400, "UnknownOperationException", "missing or unknown X-Amz-Target");
            return;
        }
        calls.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
        if (throttle.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            error(ex, 400, "ThrottlingException", "Rate exceeded");
            return;
        }
        JsonNode in;
        try {
            in = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            error(ex, 400, "SerializationException", "the request body is not JSON");
            return;
        }
        try {
            ObjectNode out = switch (op) {
                case "SendCommand" -> sendCommand(in, region);
                case "GetCommandInvocation" -> getCommandInvocation(in);
                case "ListCommands" -> listCommands(in);
                case "ListCommandInvocations" -> listCommandInvocations(in);
                case "DescribeInstanceInformation" -> describeInstanceInformation(in, region);
                default -> throw new SsmError("UnknownOperationException", "the sandbox does not serve " + op);
            };
            reply(ex, 200, JSON.writeValueAsBytes(out));
        } catch (SsmError e) {
            error(ex, 400, e.code, e.getMessage());
        }
    }

    private static final class SsmError extends RuntimeException {
        final String code;

        SsmError(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ObjectNode e = JSON.createObjectNode();
        e.put("__type", code);
        e.put("message", message);
        reply(ex, status, JSON.writeValueAsBytes(e));
    }

    private static void reply(HttpExchange ex, int status, byte[] bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        ex.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    // ------------------------------------------------------------------ operations

    private ObjectNode sendCommand(JsonNode in, String region) {
        String document = text(in, "DocumentName");
        if (document == null) {
            throw new SsmError("ValidationException", "1 validation error detected: Value null at 'documentName' failed to satisfy constraint: Member must not be null");
        }
        if (!RUN_SHELL_SCRIPT.equals(document)) {
            throw new SsmError("InvalidDocument", "Document with name " + document + " does not exist.");
        }
        if (in.has("Targets")) {
            throw new SsmError("ValidationException", "the sandbox resolves instances, not Targets: give InstanceIds");
        }
        List<String> ids = new ArrayList<>();
        in.path("InstanceIds").forEach(n -> ids.add(n.asText()));
        if (ids.isEmpty()) {
            throw new SsmError("ValidationException", "InstanceIds or Targets must be given");
        }
        List<String> bad = ids.stream().filter(id -> !agents.containsKey(id) || !region.equals(agents.get(id).region())
                || !"Online".equals(pingStatus.get(id))).toList();
        if (!bad.isEmpty()) {
            throw new SsmError("InvalidInstanceId", "Instances [" + bad + "] not in a valid state for account 123456789012");
        }
        JsonNode params = in.path("Parameters");
        List<String> lines = new ArrayList<>();
        params.path("commands").forEach(n -> lines.add(n.asText()));
        if (lines.isEmpty()) {
            throw new SsmError("InvalidParameters", "Parameter \"commands\" is required.");
        }
        Duration timeout = Duration.ofSeconds(3600);
        JsonNode t = params.path("executionTimeout");
        if (t.isArray() && !t.isEmpty()) {
            try {
                timeout = Duration.ofSeconds(Long.parseLong(t.get(0).asText()));
            } catch (NumberFormatException e) {
                throw new SsmError("InvalidParameters", "executionTimeout is not a number of seconds");
            }
        }
        String commandId = UUID.randomUUID().toString();
        Instant now = Instant.now();
        ObjectNode cmd = JSON.createObjectNode();
        cmd.put("CommandId", commandId);
        cmd.put("DocumentName", document);
        cmd.put("DocumentVersion", "$DEFAULT");
        cmd.put("Comment", text(in, "Comment") == null ? "" : text(in, "Comment"));
        cmd.put("RequestedDateTime", now.toEpochMilli() / 1000.0);
        cmd.put("ExpiresAfter", now.plusSeconds(3600).toEpochMilli() / 1000.0);
        cmd.set("Parameters", params.deepCopy());
        ArrayNode idsNode = cmd.putArray("InstanceIds");
        ids.forEach(idsNode::add);
        cmd.putArray("Targets");
        cmd.put("Status", "Pending");
        cmd.put("StatusDetails", "Pending");
        cmd.put("MaxConcurrency", text(in, "MaxConcurrency") == null ? "50" : text(in, "MaxConcurrency"));
        cmd.put("MaxErrors", text(in, "MaxErrors") == null ? "0" : text(in, "MaxErrors"));
        cmd.put("TargetCount", ids.size());
        cmd.put("CompletedCount", 0);
        cmd.put("ErrorCount", 0);
        cmd.put("DeliveryTimedOutCount", 0);
        String bucket = text(in, "OutputS3BucketName");
        String prefix = text(in, "OutputS3KeyPrefix");
        if (bucket != null && !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new SsmError("ValidationException", "1 validation error detected: Value '" + bucket
                    + "' at 'outputS3BucketName' failed to satisfy constraint: Member must have length between 3 and 63");
        }
        cmd.put("OutputS3BucketName", bucket == null ? "" : bucket);
        cmd.put("OutputS3KeyPrefix", prefix == null ? "" : prefix);
        String script = String.join("\n", lines) + "\n";
        synchronized (this) {
            commands.put(commandId, cmd);
            for (String id : ids) {
                ObjectNode inv = JSON.createObjectNode();
                inv.put("CommandId", commandId);
                inv.put("InstanceId", id);
                inv.put("InstanceName", "");
                inv.put("Comment", cmd.get("Comment").asText());
                inv.put("DocumentName", document);
                inv.put("DocumentVersion", "$DEFAULT");
                inv.put("PluginName", "aws:runShellScript");
                inv.put("RequestedDateTime", now.toEpochMilli() / 1000.0);
                inv.put("Status", "Pending");
                inv.put("StatusDetails", "Pending");
                inv.put("ResponseCode", -1);
                inv.put("_FullStdout", "");
                inv.put("_FullStderr", "");
                invocations.put(commandId + "/" + id, inv);
                visibleAt.put(commandId + "/" + id, now.plus(invisibleFor));
            }
            save();
        }
        for (String id : ids) {
            Duration to = timeout;
            runner.submit(() -> execute(commandId, id, script, to, bucket, prefix));
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("Command", cmd.deepCopy());
        return out;
    }

    private void execute(String commandId, String instanceId, String script, Duration timeout, String bucket, String prefix) {
        try {
            Thread.sleep(deliveryDelay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        update(commandId, instanceId, inv -> {
            inv.put("Status", "InProgress");
            inv.put("StatusDetails", "InProgress");
            inv.put("ExecutionStartDateTime", Instant.now().toString());
        });
        String status;
        int rc;
        byte[] out;
        byte[] err;
        try {
            SsmAgent.Outcome o = agents.get(instanceId).agent().run(commandId, script, timeout);
            rc = o.exitCode();
            out = o.stdout();
            err = o.stderr();
            status = o.timedOut() ? "TimedOut" : rc == 0 ? "Success" : "Failed";
        } catch (Exception e) {
            rc = -1;
            out = new byte[0];
            err = ("failed to run commands: " + e.getMessage()).getBytes(StandardCharsets.UTF_8);
            status = "Undeliverable";
        }
        String o = new String(out, StandardCharsets.UTF_8);
        String e2 = new String(err, StandardCharsets.UTF_8);
        String outUrl = "";
        String errUrl = "";
        OutputStore store = outputs;
        if (bucket != null && !bucket.isEmpty()) {
            // the whole output goes to S3; SSM itself keeps only what GetCommandInvocation shows
            String region = agents.get(instanceId).region();
            if (out.length > 0 && store != null && store.put(bucket, outputKey(prefix, commandId, instanceId, "stdout"), out)) {
                outUrl = "https://s3." + region + ".amazonaws.com/" + bucket + "/" + outputKey(prefix, commandId, instanceId, "stdout");
            }
            if (err.length > 0 && store != null && store.put(bucket, outputKey(prefix, commandId, instanceId, "stderr"), err)) {
                errUrl = "https://s3." + region + ".amazonaws.com/" + bucket + "/" + outputKey(prefix, commandId, instanceId, "stderr");
            }
            o = head(o, STDOUT_LIMIT);
            e2 = head(e2, STDERR_LIMIT);
        }
        String ou = outUrl;
        String eu = errUrl;
        String o2 = o;
        String e3 = e2;
        String st = status;
        int code = rc;
        update(commandId, instanceId, inv -> {
            inv.put("StandardOutputUrl", ou);
            inv.put("StandardErrorUrl", eu);
            inv.put("Status", st);
            inv.put("StatusDetails", st.equals("TimedOut") ? "ExecutionTimedOut" : st);
            inv.put("ResponseCode", code);
            inv.put("ExecutionEndDateTime", Instant.now().toString());
            inv.put("_FullStdout", o2);
            inv.put("_FullStderr", e3);
        });
    }

    private interface Change {
        void apply(ObjectNode invocation);
    }

    private synchronized void update(String commandId, String instanceId, Change change) {
        ObjectNode inv = invocations.get(commandId + "/" + instanceId);
        change.apply(inv);
        ObjectNode cmd = commands.get(commandId);
        int done = 0;
        int errors = 0;
        boolean anyRunning = false;
        String worst = "Success";
        for (JsonNode id : cmd.get("InstanceIds")) {
            String s = invocations.get(commandId + "/" + id.asText()).get("Status").asText();
            switch (s) {
                case "Pending", "InProgress" -> anyRunning = true;
                case "Success" -> done++;
                default -> {
                    done++;
                    errors++;
                    worst = s;
                }
            }
        }
        cmd.put("CompletedCount", done);
        cmd.put("ErrorCount", errors);
        String status = anyRunning ? "InProgress" : worst;
        cmd.put("Status", status);
        cmd.put("StatusDetails", status);
        save();
    }

    private synchronized ObjectNode getCommandInvocation(JsonNode in) {
        String commandId = required(in, "CommandId");
        String instanceId = required(in, "InstanceId");
        String plugin = text(in, "PluginName");
        String key = commandId + "/" + instanceId;
        ObjectNode inv = invocations.get(key);
        Instant visible = visibleAt.get(key);
        if (inv == null || Instant.now().isBefore(visible)) {
            throw new SsmError("InvocationDoesNotExist", null);
        }
        if (plugin != null && !"aws:runShellScript".equals(plugin)) {
            throw new SsmError("InvalidPluginName", null);
        }
        ObjectNode out = JSON.createObjectNode();
        for (String f : List.of("CommandId", "InstanceId", "Comment", "DocumentName", "DocumentVersion", "PluginName",
                "ResponseCode", "Status", "StatusDetails")) {
            out.set(f, inv.get(f));
        }
        out.put("ExecutionStartDateTime", inv.path("ExecutionStartDateTime").asText(""));
        out.put("ExecutionEndDateTime", inv.path("ExecutionEndDateTime").asText(""));
        out.put("ExecutionElapsedTime", "");
        out.put("StandardOutputContent", head(inv.get("_FullStdout").asText(), STDOUT_LIMIT));
        out.put("StandardOutputUrl", inv.path("StandardOutputUrl").asText(""));
        out.put("StandardErrorContent", head(inv.get("_FullStderr").asText(), STDERR_LIMIT));
        out.put("StandardErrorUrl", inv.path("StandardErrorUrl").asText(""));
        ObjectNode cw = out.putObject("CloudWatchOutputConfig");
        cw.put("CloudWatchLogGroupName", "");
        cw.put("CloudWatchOutputEnabled", false);
        return out;
    }

    private synchronized ObjectNode listCommands(JsonNode in) {
        String commandId = text(in, "CommandId");
        String instanceId = text(in, "InstanceId");
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("Commands");
        for (ObjectNode c : commands.values()) {
            if (commandId != null && !commandId.equals(c.get("CommandId").asText())) {
                continue;
            }
            if (instanceId != null && !invocations.containsKey(c.get("CommandId").asText() + "/" + instanceId)) {
                continue;
            }
            list.add(c.deepCopy());
        }
        if (commandId != null && list.isEmpty()) {
            throw new SsmError("InvalidCommandId", null);
        }
        return out;
    }

    private synchronized ObjectNode listCommandInvocations(JsonNode in) {
        String commandId = text(in, "CommandId");
        String instanceId = text(in, "InstanceId");
        boolean details = in.path("Details").asBoolean(false);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("CommandInvocations");
        for (ObjectNode inv : invocations.values()) {
            if (commandId != null && !commandId.equals(inv.get("CommandId").asText())
                    || instanceId != null && !instanceId.equals(inv.get("InstanceId").asText())) {
                continue;
            }
            ObjectNode o = JSON.createObjectNode();
            for (String f : List.of("CommandId", "InstanceId", "InstanceName", "Comment", "DocumentName",
                    "DocumentVersion", "RequestedDateTime", "Status", "StatusDetails")) {
                o.set(f, inv.get(f));
            }
            o.put("StandardOutputUrl", inv.path("StandardOutputUrl").asText(""));
            o.put("StandardErrorUrl", inv.path("StandardErrorUrl").asText(""));
            ArrayNode plugins = o.putArray("CommandPlugins");
            if (details) {
                ObjectNode p = plugins.addObject();
                p.put("Name", "aws:runShellScript");
                p.set("Status", inv.get("Status"));
                p.set("StatusDetails", inv.get("StatusDetails"));
                p.set("ResponseCode", inv.get("ResponseCode"));
                String all = inv.get("_FullStdout").asText()
                        + (inv.get("_FullStderr").asText().isEmpty() ? "" : "\n----------ERROR-------\n" + inv.get("_FullStderr").asText());
                p.put("Output", head(all, LIST_OUTPUT_LIMIT));
            }
            list.add(o);
        }
        return out;
    }

    private ObjectNode describeInstanceInformation(JsonNode in, String region) {
        List<String> wanted = new ArrayList<>();
        for (JsonNode f : in.path("Filters")) {
            if ("InstanceIds".equals(f.path("Key").asText())) {
                f.path("Values").forEach(v -> wanted.add(v.asText()));
            }
        }
        for (JsonNode f : in.path("InstanceInformationFilterList")) {
            if ("InstanceIds".equals(f.path("key").asText())) {
                f.path("valueSet").forEach(v -> wanted.add(v.asText()));
            }
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("InstanceInformationList");
        agents.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            if (!region.equals(e.getValue().region()) || !wanted.isEmpty() && !wanted.contains(e.getKey())) {
                return;
            }
            ObjectNode i = list.addObject();
            i.put("InstanceId", e.getKey());
            i.put("PingStatus", pingStatus.getOrDefault(e.getKey(), "Online"));
            i.put("LastPingDateTime", Instant.now().toEpochMilli() / 1000.0);
            i.put("AgentVersion", "3.3.0.0-sandbox");
            i.put("IsLatestVersion", true);
            i.put("PlatformType", "Linux");
            i.put("PlatformName", "Debian GNU/Linux");
            i.put("PlatformVersion", "12");
            i.put("ResourceType", "EC2Instance");
            i.put("IPAddress", "10.0.2.15");
            i.put("ComputerName", e.getValue().agent().computerName());
        });
        return out;
    }

    // ------------------------------------------------------------------ helpers

    private static String head(String s, int chars) {
        if (s.length() <= chars) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(chars - 1)) ? chars - 1 : chars;
        return s.substring(0, end);
    }

    private static String text(JsonNode in, String field) {
        JsonNode n = in.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static String required(JsonNode in, String field) {
        String v = text(in, field);
        if (v == null || v.isEmpty()) {
            throw new SsmError("ValidationException", "1 validation error detected: Value null at '"
                    + Character.toLowerCase(field.charAt(0)) + field.substring(1) + "' failed to satisfy constraint: Member must not be null");
        }
        return v;
    }

    private void save() {
        if (dataDir == null) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            Path tmp = dataDir.resolve("history.json.tmp");
            Files.writeString(tmp, history());
            Files.move(tmp, dataDir.resolve("history.json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // the history in memory is still there
        }
    }

    @Override
    public void close() {
        runner.shutdownNow();
        agents.values().forEach(m -> m.agent().close());
    }
}
