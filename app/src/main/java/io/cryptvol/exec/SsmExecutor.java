package io.cryptvol.exec;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.cmd.ShellQuote;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.CommandInvocationStatus;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationResponse;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.InstanceInformationStringFilter;
import software.amazon.awssdk.services.ssm.model.InvalidInstanceIdException;
import software.amazon.awssdk.services.ssm.model.InvocationDoesNotExistException;
import software.amazon.awssdk.services.ssm.model.SsmException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs host commands on an EC2 instance through AWS Systems Manager Run Command (document AWS-RunShellScript):
 * one SendCommand per host command, then GetCommandInvocation until it ends, polled with exponential backoff and
 * jitter. The agent runs as root, so {@code sudo} is never needed. What SSM does and how it is handled:
 * <ul>
 *   <li><b>InvocationDoesNotExist</b> right after SendCommand: polled again, for up to {@link Options#appearWithin};</li>
 *   <li><b>throttling</b>: the SDK's retry strategy first, then this executor's own backoff;</li>
 *   <li><b>an agent that is not online</b> ({@link #connect}: DescribeInstanceInformation; SendCommand's
 *       InvalidInstanceId): one line that names the instance and its ping status;</li>
 *   <li><b>output limits</b> (GetCommandInvocation shows 24,000 characters of stdout, 8,000 of stderr): the command's
 *       output goes to a 0700 directory on the instance's tmpfs; when it fits (16,000 / 6,000 bytes, so that no
 *       character count can exceed SSM's) it is printed and the directory removed in the same invocation; when it
 *       does not, the script compresses it (gzip -1, when the instance has gzip) and says so, and read-only
 *       invocations fetch it in base64 chunks of 18,000 bytes (24,000 characters) with {@code dd}, the last one
 *       removing the directory. A command therefore never runs twice. (A LUKS2 header backup, 16 MiB with a random
 *       key slot area, does not compress: ~960 chunks.) With <b>S3 output</b> ({@link S3Output}: SendCommand's
 *       OutputS3BucketName / OutputS3KeyPrefix) an output that does not fit is printed whole after one marker line
 *       ({@code cryptvol-ssm-s3 RC STDOUT_BYTES STDERR_BYTES}), the agent uploads it to
 *       {@code PREFIX/COMMAND_ID/INSTANCE_ID/awsrunShellScript/0.awsrunShellScript/stdout} (and {@code stderr}), and
 *       it is read from there with the real {@code S3Client}, its size checked against the marker: one invocation,
 *       nothing left on the instance.</li>
 *   <li><b>stdin</b>: SSM has none. Non-secret bytes travel as base64 in the script. Key bytes never travel in the
 *       clear: see {@link SsmKeyWrap} and the README's "Key bytes over SSM".</li>
 *   <li><b>exit codes</b> 168, 169 and 194 ask the real agent to reboot the instance; the script never exits with
 *       them and prints the command's real code on a marker line instead.</li>
 * </ul>
 * A command that cannot be held open ({@link #converse}) is not supported: SSM has no interactive channel.
 */
public final class SsmExecutor implements HostExecutor {
    public static final String DOCUMENT = "AWS-RunShellScript";
    static final int FIT_STDOUT = 16_000;
    static final int FIT_STDERR = 6_000;
    static final int CHUNK = 18_000;
    /** Chunk reads in flight at once (below sshd's default MaxSessions of 10 for the sandbox's agent). */
    static final int FETCH_PARALLEL = 8;
    private static final String SPILL = "cryptvol-ssm-spill ";
    private static final String S3_MARK = "cryptvol-ssm-s3 ";
    private static final Pattern S3_LINE = Pattern.compile("^" + S3_MARK + "(\\d+) (\\d+) (\\d+)$");
    private static final String RC_MARK = "cryptvol-ssm-rc ";
    private static final String FAIL_MARK = "cryptvol-ssm: ";
    private static final Pattern SPILL_LINE =
            Pattern.compile("^" + SPILL + "(/(?:run|dev/shm)/cryptvol-ssm\\.[A-Za-z0-9]{8}) (\\d+) (\\d+) (\\d+) ([01])$");
    private static final Pattern TMP_DIR = Pattern.compile("^/(?:run|dev/shm)/cryptvol-ssm\\.[A-Za-z0-9]{8}$");
    private static final Pattern INSTANCE_ID = Pattern.compile("^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$");

    /** Polling and limits. */
    public record Options(Duration firstPoll, Duration maxPoll, Duration appearWithin, Duration defaultTimeout,
                          int throttleRetries) {
        public static Options defaults() {
            return new Options(Duration.ofMillis(150), Duration.ofSeconds(2), Duration.ofSeconds(30),
                    Duration.ofMinutes(10), 8);
        }
    }

    /**
     * Where Run Command puts whole outputs: {@code bucket} and {@code prefix} (as SendCommand's OutputS3BucketName and
     * OutputS3KeyPrefix; "" for none), read back with {@code s3} (closed with the executor).
     */
    public record S3Output(S3Client s3, String bucket, String prefix) {
        /** The object the agent writes a stream ("stdout", "stderr") of an invocation to (the AWS-RunShellScript layout). */
        public String key(String commandId, String instanceId, String stream) {
            String p = prefix.replaceAll("^/+|/+$", "");
            return (p.isEmpty() ? "" : p + "/") + commandId + "/" + instanceId + "/awsrunShellScript/0.awsrunShellScript/" + stream;
        }
    }

    private final SsmClient ssm;
    private final String instanceId;
    private final Options options;
    private final S3Output s3Output;
    private final AtomicInteger invocations = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();
    private final AtomicInteger notYet = new AtomicInteger();

    private SsmExecutor(SsmClient ssm, String instanceId, Options options, S3Output s3Output) {
        this.ssm = ssm;
        this.instanceId = instanceId;
        this.options = options;
        this.s3Output = s3Output;
    }

    /** Whether a string is an EC2 instance id (i- and 8 or 17 hex digits). */
    public static boolean isInstanceId(String s) {
        return s != null && INSTANCE_ID.matcher(s).matches();
    }

    /**
     * An executor for a managed instance whose agent is online (DescribeInstanceInformation), else one line saying
     * why not. The client is the caller's (made by {@code AwsClients.configure}); {@link #close} closes it.
     */
    public static SsmExecutor connect(SsmClient ssm, String instanceId, Options options) {
        return connect(ssm, instanceId, options, null);
    }

    /** {@link #connect(SsmClient, String, Options)} with S3 output (null: none). */
    public static SsmExecutor connect(SsmClient ssm, String instanceId, Options options, S3Output s3Output) {
        if (!isInstanceId(instanceId)) {
            throw new CryptvolException("not an instance id: '" + ControlChars.escape(instanceId) + "' (expected i- and 17 hex digits)",
                    ExitCode.USAGE, null);
        }
        List<InstanceInformation> info;
        try {
            info = ssm.describeInstanceInformation(r -> r.filters(InstanceInformationStringFilter.builder()
                    .key("InstanceIds").values(instanceId).build())).instanceInformationList();
        } catch (SdkException e) {
            throw new HostExecutionException("cannot ask Systems Manager about " + instanceId + ": " + oneLine(e), e);
        }
        if (info.isEmpty()) {
            throw new CryptvolException(notManaged(instanceId), ExitCode.FAILED, null);
        }
        String ping = info.get(0).pingStatusAsString();
        if (!"Online".equals(ping)) {
            throw new CryptvolException("the SSM agent of " + instanceId + " is " + ControlChars.escape(String.valueOf(ping))
                    + " (last ping " + info.get(0).lastPingDateTime() + "), not Online: Run Command cannot reach it",
                    ExitCode.FAILED, null);
        }
        return new SsmExecutor(ssm, instanceId, options, s3Output);
    }

    /** {@link #connect} with a client configured as every AWS client of the session is ({@link io.cryptvol.aws.AwsClients#configure}). */
    public static SsmExecutor open(io.cryptvol.aws.AwsClients clients, String instanceId) {
        return open(clients, instanceId, null);
    }

    /**
     * {@link #open(io.cryptvol.aws.AwsClients, String)} with S3 output to {@code outputS3} ({@code s3://bucket/prefix/},
     * null: none). The bucket must be private (as for key backups: {@code keys/S3Copies#checkPrivate}): the outputs
     * include the LUKS header backups a provision copies back.
     */
    public static SsmExecutor open(io.cryptvol.aws.AwsClients clients, String instanceId, String outputS3) {
        S3Output out = null;
        if (outputS3 != null) {
            io.cryptvol.domain.model.S3Url place = io.cryptvol.domain.model.S3Url.parse(outputS3);
            io.cryptvol.keys.S3Copies check = new io.cryptvol.keys.S3Copies(() -> clients);
            try {
                check.checkPrivate(place.bucket());
            } finally {
                check.close();
            }
            out = new S3Output(clients.s3(), place.bucket(), place.prefix());
        }
        SsmClient client = clients.configure(SsmClient.builder(), null).build();
        try {
            return connect(client, instanceId, Options.defaults(), out);
        } catch (RuntimeException e) {
            client.close();
            if (out != null) {
                out.s3().close();
            }
            throw e;
        }
    }

    static String notManaged(String instanceId) {
        return instanceId + " is not a managed instance: Systems Manager has no agent registered for it in this region"
                + " (the SSM agent must run there and its instance profile allow Systems Manager)";
    }

    public String instanceId() {
        return instanceId;
    }

    @Override
    public String target() {
        return "ssm:" + instanceId;
    }

    /** Counters for --debug and tests: invocations sent, throttled answers, InvocationDoesNotExist answers. */
    public Map<String, Integer> counts() {
        return Map.of("invocations", invocations.get(), "throttled", throttled.get(), "notYet", notYet.get());
    }

    @Override
    public ExecResult run(HostCommand command) {
        long t0 = System.nanoTime();
        Duration timeout = command.timeout() != null ? command.timeout() : options.defaultTimeout();
        List<String> script = new ArrayList<>(prologue());
        if (command.stdin() != null && command.stdinSecret()) {
            OneTimeKey key = keyPair(command);
            script.addAll(secretBody(command, key));
        } else {
            script.add("d=$(mktemp -d \"$b/cryptvol-ssm.XXXXXXXX\") || { echo '" + FAIL_MARK + "mktemp failed' >&2; exit 1; }");
            String feed = command.stdin() == null ? "</dev/null"
                    : null;
            String line = ShellQuote.join(command.argv());
            if (feed == null) {
                script.add("printf %s '" + Base64.getEncoder().encodeToString(command.stdin()) + "' | base64 -d | " + line
                        + " >\"$d/o\" 2>\"$d/e\"");
            } else {
                script.add(line + " " + feed + " >\"$d/o\" 2>\"$d/e\"");
            }
            script.add("rc=$?");
        }
        script.addAll(s3Output != null ? s3Epilogue() : epilogue());
        Invocation inv = invoke(script, timeout, command.description());
        return result(inv, command, timeout, Duration.ofNanos(System.nanoTime() - t0));
    }

    /** Shell lines every invocation starts with: C locale, a root PATH, umask 077, $b = a writable tmpfs. */
    private static List<String> prologue() {
        return List.of(
                "export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "umask 077",
                "b=; for t in /run /dev/shm; do if [ \"$(stat -f -c %T \"$t\" 2>/dev/null)\" = tmpfs ] && [ -w \"$t\" ]; then b=$t; break; fi; done",
                "[ -n \"$b\" ] || { echo '" + FAIL_MARK + "no writable tmpfs (/run or /dev/shm) on this instance' >&2; exit 1; }");
    }

    /** After the command: its output inline when it fits SSM's limits, else a spill line; never exit 168/169/194. */
    private static List<String> epilogue() {
        return List.of(
                "so=$(wc -c <\"$d/o\"); se=$(wc -c <\"$d/e\")",
                "case $rc in 168|169|194) echo \"" + RC_MARK + "$rc\" >&2; rc=1;; esac",
                "if [ \"$so\" -le " + FIT_STDOUT + " ] && [ \"$se\" -le " + FIT_STDERR + " ]; then cat \"$d/o\"; cat \"$d/e\" >&2; rm -rf \"$d\"; exit $rc; fi",
                "if command -v gzip >/dev/null; then gzip -1 -c \"$d/o\" >\"$d/O\" && gzip -1 -c \"$d/e\" >\"$d/E\" || exit 1; z=1;"
                        + " else mv \"$d/o\" \"$d/O\"; mv \"$d/e\" \"$d/E\"; z=0; fi; rm -f \"$d/o\" \"$d/e\"",
                "echo \"" + SPILL + "$d $rc $(wc -c <\"$d/O\") $(wc -c <\"$d/E\") $z\"",
                "exit 0");
    }

    /**
     * With S3 output: the output inline when it fits, else one marker line (the real exit code and both sizes) and the
     * whole output after it, which the agent uploads to S3; the directory goes in the same invocation.
     */
    private static List<String> s3Epilogue() {
        return List.of(
                "so=$(wc -c <\"$d/o\"); se=$(wc -c <\"$d/e\")",
                "if [ \"$so\" -le " + FIT_STDOUT + " ] && [ \"$se\" -le " + FIT_STDERR + " ]; then"
                        + " case $rc in 168|169|194) echo \"" + RC_MARK + "$rc\" >&2; rc=1;; esac;"
                        + " cat \"$d/o\"; cat \"$d/e\" >&2; rm -rf \"$d\"; exit $rc; fi",
                "echo \"" + S3_MARK + "$rc $so $se\"; cat \"$d/o\"; cat \"$d/e\" >&2; rm -rf \"$d\"",
                "exit 0");
    }

    /**
     * First invocation of a command with key bytes: the instance makes a one-time RSA-3072 key pair in a 0700
     * directory on its tmpfs and prints the directory and the public key. Returns the directory; the key bytes,
     * sealed to that key, go with the second invocation ({@link #secretBody}).
     */
    private OneTimeKey keyPair(HostCommand command) {
        List<String> s = new ArrayList<>(prologue());
        s.add("d=$(mktemp -d \"$b/cryptvol-ssm.XXXXXXXX\") || exit 1");
        s.add("if ! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out \"$d/k\" 2>/dev/null; then rm -rf \"$d\";"
                + " echo '" + FAIL_MARK + "openssl cannot make a key pair on this instance (install the openssl package)' >&2; exit 1; fi");
        s.add("echo \"$d\"");
        s.add("openssl pkey -in \"$d/k\" -pubout");
        Invocation inv = invoke(s, Duration.ofMinutes(2), "one-time key pair for: " + command.description());
        if (inv.code() != 0) {
            throw new HostExecutionException("cannot send key bytes to " + target() + " over SSM: "
                    + firstLine(inv.stderr(), "the key pair step exited " + inv.code()));
        }
        String out = inv.stdout();
        String dir = out.lines().findFirst().orElse("");
        if (!TMP_DIR.matcher(dir).matches()) {
            throw new HostExecutionException("the key pair step on " + target() + " printed no tmpfs directory");
        }
        return new OneTimeKey(dir, SsmKeyWrap.publicKey(out.substring(out.indexOf('\n') + 1)));
    }

    /** The instance's tmpfs directory holding the one-time private key, and its public key. */
    private record OneTimeKey(String dir, java.security.PublicKey publicKey) {
    }

    /**
     * Second invocation: decrypt the key bytes into a 0600 file on tmpfs, give them to the command on stdin, shred
     * them (and the one-time private key) whatever happens.
     */
    private List<String> secretBody(HostCommand command, OneTimeKey key) {
        SsmKeyWrap.Sealed sealed = SsmKeyWrap.seal(command.stdin(), key.publicKey());
        List<String> s = new ArrayList<>();
        s.add("d='" + key.dir() + "'");
        s.add("[ -d \"$d\" ] && [ -f \"$d/k\" ] || { echo '" + FAIL_MARK + "the one-time key pair is gone from the instance' >&2; exit 1; }");
        s.add("trap 'for f in k w p s; do [ -e \"$d/$f\" ] && shred -u \"$d/$f\"; done' EXIT");
        s.add("printf %s '" + sealed.wrappedPassphrase() + "' | base64 -d >\"$d/w\"");
        s.add("openssl pkeyutl -decrypt -inkey \"$d/k\" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256"
                + " -pkeyopt rsa_mgf1_md:sha256 -in \"$d/w\" -out \"$d/p\" 2>/dev/null"
                + " || { echo '" + FAIL_MARK + "cannot unwrap the key transfer' >&2; rm -rf \"$d\"; exit 1; }");
        s.add("shred -u \"$d/k\" \"$d/w\"");
        s.add("printf %s '" + sealed.blob() + "' | base64 -d | openssl enc -d -aes-256-cbc -pbkdf2 -iter "
                + SsmKeyWrap.ITERATIONS + " -md sha256 -pass \"file:$d/p\" -out \"$d/s\" 2>/dev/null"
                + " || { echo '" + FAIL_MARK + "cannot decrypt the key transfer' >&2; rm -rf \"$d\"; exit 1; }");
        s.add("shred -u \"$d/p\"");
        s.add(ShellQuote.join(command.argv()) + " <\"$d/s\" >\"$d/o\" 2>\"$d/e\"");
        s.add("rc=$?");
        s.add("shred -u \"$d/s\" || { echo '" + FAIL_MARK + "could not shred the key file' >&2; exit 1; }");
        return s;
    }

    private ExecResult result(Invocation inv, HostCommand command, Duration timeout, Duration took) {
        String err = inv.stderr();
        if (inv.code() != 0 && err.startsWith(FAIL_MARK)) {
            throw new HostExecutionException("cannot run '" + command.description() + "' on " + target() + " over SSM: "
                    + firstLine(err.substring(FAIL_MARK.length()), "failed"));
        }
        String out = inv.stdout();
        int code = inv.code();
        byte[] stdout;
        byte[] stderr;
        Matcher spill = SPILL_LINE.matcher(out.strip());
        Matcher s3 = S3_LINE.matcher(out.lines().findFirst().orElse(""));
        if (code == 0 && s3Output != null && out.startsWith(S3_MARK) && s3.matches()) {
            code = Integer.parseInt(s3.group(1));
            long so = Long.parseLong(s3.group(2));
            long se = Long.parseLong(s3.group(3));
            byte[] o = fromS3(inv.commandId(), "stdout", command);
            String head = S3_MARK + s3.group(1) + " " + so + " " + se + "\n";
            byte[] h = head.getBytes(StandardCharsets.US_ASCII);
            if (o.length != h.length + so || !java.util.Arrays.equals(o, 0, h.length, h, 0, h.length)) {
                throw new HostExecutionException("the output of '" + command.description() + "' in S3 ("
                        + o.length + " bytes) is not what the instance wrote (" + (h.length + so) + "): "
                        + location(inv.commandId(), "stdout"));
            }
            stdout = java.util.Arrays.copyOfRange(o, h.length, o.length);
            stderr = se == 0 ? new byte[0] : fromS3(inv.commandId(), "stderr", command);
            if (stderr.length != se) {
                throw new HostExecutionException("the error output of '" + command.description() + "' in S3 ("
                        + stderr.length + " bytes) is not what the instance wrote (" + se + "): "
                        + location(inv.commandId(), "stderr"));
            }
        } else if (code == 0 && out.startsWith(SPILL) && spill.matches()) {
            String dir = spill.group(1);
            code = Integer.parseInt(spill.group(2));
            long so = Long.parseLong(spill.group(3));
            long se = Long.parseLong(spill.group(4));
            boolean gzip = spill.group(5).equals("1");
            stdout = gunzip(fetch(dir, "O", so, false), gzip);
            stderr = gunzip(fetch(dir, "E", se, true), gzip);
        } else {
            stdout = out.getBytes(StandardCharsets.UTF_8);
            stderr = err.getBytes(StandardCharsets.UTF_8);
        }
        String e = new String(stderr, StandardCharsets.UTF_8);
        int mark = e.lastIndexOf(RC_MARK);
        if (mark >= 0) {
            Matcher m = Pattern.compile(RC_MARK + "(\\d+)").matcher(e.substring(mark));
            if (m.lookingAt()) {
                code = Integer.parseInt(m.group(1));
                stderr = (e.substring(0, mark) + e.substring(mark + m.end()).replaceFirst("^\n", "")).getBytes(StandardCharsets.UTF_8);
            }
        }
        return new ExecResult(code, stdout, stderr, took);
    }

    /** One output object of an invocation, read with the real S3Client; a missing one is one line (the command ran). */
    private byte[] fromS3(String commandId, String stream, HostCommand command) {
        String key = s3Output.key(commandId, instanceId, stream);
        try {
            return s3Output.s3().getObjectAsBytes(b -> b.bucket(s3Output.bucket()).key(key)).asByteArray();
        } catch (NoSuchKeyException e) {
            throw new HostExecutionException("'" + command.description() + "' ran on " + target() + " but its output is not in "
                    + location(commandId, stream) + ": the instance profile needs s3:PutObject on that bucket");
        } catch (S3Exception e) {
            throw new HostExecutionException("'" + command.description() + "' ran on " + target() + " but its output cannot be read from "
                    + location(commandId, stream) + ": " + oneLine(e), e);
        } catch (SdkException e) {
            throw new HostExecutionException("'" + command.description() + "' ran on " + target() + " but S3 cannot be reached for its output: "
                    + oneLine(e), e);
        }
    }

    private String location(String commandId, String stream) {
        return "s3://" + s3Output.bucket() + "/" + s3Output.key(commandId, instanceId, stream);
    }

    private byte[] gunzip(byte[] bytes, boolean gzip) {
        if (!gzip) {
            return bytes;
        }
        try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new HostExecutionException("a command's output came back from " + target() + " damaged: " + e.getMessage());
        }
    }

    /**
     * Reads a spilled output file in base64 chunks, {@link #FETCH_PARALLEL} invocations in flight (SSM runs
     * invocations on one instance side by side); the last read of stderr removes the directory.
     */
    private byte[] fetch(String dir, String file, long size, boolean last) {
        int chunks = (int) Math.max(1, (size + CHUNK - 1) / CHUNK);
        byte[][] parts = new byte[chunks][];
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(FETCH_PARALLEL, chunks), r -> {
                    Thread t = new Thread(r, "ssm-fetch");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            int upTo = last ? chunks - 1 : chunks; // the chunk that removes the directory runs after the others
            for (int k = 0; k < upTo; k++) {
                int i = k;
                done.add(pool.submit(() -> parts[i] = chunk(dir, file, i, chunks, false)));
            }
            for (java.util.concurrent.Future<?> f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException re ? re : new HostExecutionException(String.valueOf(e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HostExecutionException("interrupted while reading output back from " + target());
                }
            }
            if (last) {
                parts[chunks - 1] = chunk(dir, file, chunks - 1, chunks, true);
            }
        } finally {
            pool.shutdownNow();
        }
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return all.toByteArray();
    }

    private byte[] chunk(String dir, String file, int k, int chunks, boolean removeDir) {
        List<String> s = List.of("export LC_ALL=C",
                "dd if='" + dir + "/" + file + "' bs=" + CHUNK + " skip=" + k + " count=1 2>/dev/null | base64 -w0",
                removeDir ? "rm -rf '" + dir + "'" : ":");
        Invocation inv = invoke(s, Duration.ofMinutes(2), "read output chunk " + (k + 1) + "/" + chunks);
        if (inv.code() != 0) {
            throw new HostExecutionException("cannot read a command's output back from " + target() + ": "
                    + firstLine(inv.stderr(), "exit " + inv.code()));
        }
        return Base64.getDecoder().decode(inv.stdout().strip());
    }

    /** What one finished invocation gave. */
    record Invocation(String commandId, int code, String stdout, String stderr) {
    }

    private Invocation invoke(List<String> script, Duration timeout, String description) {
        String commandId = send(script, timeout, description);
        long deadline = System.nanoTime() + timeout.plusSeconds(60).toNanos();
        long appearBy = System.nanoTime() + options.appearWithin().toNanos();
        int attempt = 0;
        int throttles = 0;
        while (true) {
            sleep(backoff(attempt++));
            GetCommandInvocationResponse r;
            try {
                r = ssm.getCommandInvocation(b -> b.commandId(commandId).instanceId(instanceId));
            } catch (InvocationDoesNotExistException e) {
                notYet.incrementAndGet();
                if (System.nanoTime() > appearBy) {
                    throw new HostExecutionException("Systems Manager never showed command " + commandId + " on "
                            + instanceId + " (InvocationDoesNotExist for " + options.appearWithin().toSeconds() + " s)");
                }
                continue;
            } catch (SsmException e) {
                if (e.isThrottlingException() && ++throttles <= options.throttleRetries()) {
                    throttled.incrementAndGet();
                    continue;
                }
                throw new HostExecutionException("lost track of command " + commandId + " on " + target()
                        + " (it may or may not have run): " + oneLine(e), e);
            } catch (SdkException e) {
                throw new HostExecutionException("lost track of command " + commandId + " on " + target()
                        + " (it may or may not have run): " + oneLine(e), e);
            }
            CommandInvocationStatus st = r.status();
            if (st == CommandInvocationStatus.SUCCESS || st == CommandInvocationStatus.FAILED) {
                return new Invocation(commandId, r.responseCode(), nz(r.standardOutputContent()), nz(r.standardErrorContent()));
            }
            if (st == CommandInvocationStatus.PENDING || st == CommandInvocationStatus.IN_PROGRESS
                    || st == CommandInvocationStatus.DELAYED) {
                if (System.nanoTime() > deadline) {
                    throw new HostExecutionException("'" + description + "' on " + target() + " did not end within "
                            + timeout.toSeconds() + " s (command " + commandId + " is " + r.statusAsString() + ")");
                }
                continue;
            }
            throw new HostExecutionException("'" + description + "' on " + target() + " ended " + r.statusAsString()
                    + " (" + ControlChars.escape(String.valueOf(r.statusDetails())) + "), command " + commandId
                    + (st == CommandInvocationStatus.TIMED_OUT ? ": it ran longer than " + timeout.toSeconds() + " s" : ""));
        }
    }

    private String send(List<String> script, Duration timeout, String description) {
        int throttles = 0;
        while (true) {
            try {
                String id = ssm.sendCommand(b -> b.instanceIds(instanceId).documentName(DOCUMENT)
                        .comment(comment(description))
                        .outputS3BucketName(s3Output == null ? null : s3Output.bucket())
                        .outputS3KeyPrefix(s3Output == null || s3Output.prefix().isEmpty() ? null
                                : s3Output.prefix().replaceAll("/+$", ""))
                        .parameters(Map.of("commands", script,
                                "executionTimeout", List.of(Long.toString(Math.max(1, timeout.toSeconds())))))).command().commandId();
                invocations.incrementAndGet();
                return id;
            } catch (InvalidInstanceIdException e) {
                throw new CryptvolException(notManaged(instanceId) + ", or its agent is not online", ExitCode.FAILED, e);
            } catch (SsmException e) {
                if (e.isThrottlingException() && ++throttles <= options.throttleRetries()) {
                    throttled.incrementAndGet();
                    sleep(backoff(throttles + 2));
                    continue;
                }
                throw new HostExecutionException("Systems Manager refused to run '" + description + "' on " + instanceId
                        + ": " + oneLine(e), e);
            } catch (SdkException e) {
                throw new HostExecutionException("cannot reach Systems Manager for " + instanceId + ": " + oneLine(e), e);
            }
        }
    }

    /** Exponential backoff with jitter: a random point in the upper half of min(max, first × 1.6^attempt). */
    Duration backoff(int attempt) {
        double ceiling = Math.min(options.maxPoll().toMillis(), options.firstPoll().toMillis() * Math.pow(1.6, attempt));
        long ms = (long) (ceiling / 2 + ThreadLocalRandom.current().nextDouble() * ceiling / 2);
        return Duration.ofMillis(Math.max(1, ms));
    }

    private static String comment(String description) {
        String c = "cryptvol: " + ControlChars.escape(description == null ? "" : description);
        return c.length() > 100 ? c.substring(0, 99) + "…" : c;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostExecutionException("interrupted while waiting for Systems Manager");
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String firstLine(String s, String otherwise) {
        String l = s == null ? "" : s.strip().lines().findFirst().orElse("");
        return l.isEmpty() ? otherwise : ControlChars.escape(l);
    }

    private static String oneLine(Throwable e) {
        String m = e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException s && s.awsErrorDetails() != null
                ? s.awsErrorDetails().errorCode() + ": " + s.awsErrorDetails().errorMessage() : e.getMessage();
        return ControlChars.escape(String.valueOf(m)).lines().findFirst().orElse("");
    }

    @Override
    public void close() {
        ssm.close();
        if (s3Output != null) {
            s3Output.s3().close();
        }
    }
}
