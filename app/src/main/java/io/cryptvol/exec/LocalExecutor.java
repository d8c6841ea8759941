package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands on this machine with {@link ProcessBuilder} (argv as is, never through a shell).
 * Privileged commands get a {@code sudo -n} prefix when this process is not root; when sudo wants a
 * password, is refused or is missing, {@link #run} throws a one-line {@link HostExecutionException}; a
 * program that is not installed is a result, exit 127, as a shell gives it ({@link #asShellWould}).
 * stdin bytes are written and stdin closed; stdout and stderr are read concurrently; a command that
 * outlives its timeout has its whole process tree killed.
 */
public class LocalExecutor implements HostExecutor {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration KILL_GRACE = Duration.ofSeconds(2);

    private final Duration defaultTimeout;
    private final String sudoProgram;
    private final boolean root;

    /** 10-minute default timeout, {@code sudo} from PATH, root detected from this process. */
    public LocalExecutor() {
        this(DEFAULT_TIMEOUT);
    }

    public LocalExecutor(Duration defaultTimeout) {
        this(defaultTimeout, "sudo", currentUid() == 0);
    }

    /**
     * @param defaultTimeout timeout for commands that carry none
     * @param sudoProgram    name (looked up on PATH) or path of sudo
     * @param root           whether this process already runs as root (then sudo is never used)
     */
    public LocalExecutor(Duration defaultTimeout, String sudoProgram, boolean root) {
        this.defaultTimeout = Objects.requireNonNull(defaultTimeout, "defaultTimeout");
        this.sudoProgram = Objects.requireNonNull(sudoProgram, "sudoProgram");
        this.root = root;
    }

    @Override
    public String target() {
        return "local";
    }

    public boolean runsAsRoot() {
        return root;
    }

    @Override
    public ExecResult run(HostCommand command) {
        boolean viaSudo = command.privileged() && !root;
        List<String> argv = viaSudo ? Sudo.prefix(sudoProgram, command.argv()) : command.argv();
        Duration timeout = command.timeout() != null ? command.timeout() : defaultTimeout;
        long start = System.nanoTime();

        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            if (viaSudo) {
                throw new HostExecutionException("sudo is not installed on this machine (" + sudoProgram
                        + " not found); run cryptvol as root or install sudo", e);
            }
            ExecResult asShell = asShellWould(command.argv().get(0), e, Duration.ofNanos(System.nanoTime() - start));
            if (asShell != null) {
                return asShell;
            }
            throw new HostExecutionException("cannot start " + command.argv().get(0) + ": " + e.getMessage(), e);
        }

        Pump out = new Pump(process.getInputStream(), "stdout");
        Pump err = new Pump(process.getErrorStream(), "stderr");
        Thread in = feed(process.getOutputStream(), command.stdin());

        boolean finished;
        try {
            finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new HostExecutionException("interrupted while running: " + command.commandLine(), e);
        }
        if (!finished) {
            killTree(process);
            in.interrupt();
            throw new HostExecutionException("timed out after " + Sudo.format(timeout) + ": " + command.commandLine());
        }
        // the process has exited; children that kept the pipes open could stall us, so bound the wait
        byte[] stdout = out.result(KILL_GRACE);
        byte[] stderr = err.result(KILL_GRACE);
        Duration duration = Duration.ofNanos(System.nanoTime() - start);
        return refuseIfSudoDenied(new ExecResult(process.exitValue(), stdout, stderr, duration), viaSudo, command);
    }

    /**
     * A program that could not be started, as a shell reports it (so callers test one thing, the exit code,
     * on this machine and over SSH alike): not found → exit 127 with "NAME: command not found" (a path:
     * "PATH: No such file or directory"); not executable → exit 126 with "NAME: Permission denied". Any
     * other failure to start is null (the caller throws).
     */
    static ExecResult asShellWould(String program, IOException e, Duration duration) {
        String why = String.valueOf(e.getMessage());
        String line;
        int exit;
        if (why.contains("error=2,")) {
            exit = 127;
            line = program.contains("/") ? program + ": No such file or directory" : program + ": command not found";
        } else if (why.contains("error=13,")) {
            exit = 126;
            line = program + ": Permission denied";
        } else {
            return null;
        }
        return new ExecResult(exit, new byte[0], (line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), duration);
    }

    private static ExecResult refuseIfSudoDenied(ExecResult result, boolean viaSudo, HostCommand command) {
        return Sudo.checked(result, viaSudo, "this machine", System.getProperty("user.name"), command.argv());
    }

    /** The command as a child process whose stdin and stdout the caller holds (stderr collected). */
    @Override
    public Conversation converse(HostCommand command) {
        boolean viaSudo = command.privileged() && !root;
        List<String> argv = viaSudo ? Sudo.prefix(sudoProgram, command.argv()) : command.argv();
        long start = System.nanoTime();
        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw new HostExecutionException("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        }
        Pump err = new Pump(process.getErrorStream(), "stderr");
        return new Conversation(command, process.getInputStream(), process.getOutputStream(), timeout -> {
            try {
                if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    killTree(process);
                    throw new HostExecutionException("timed out after " + Sudo.format(timeout) + ": " + command.commandLine());
                }
            } catch (InterruptedException e) {
                killTree(process);
                Thread.currentThread().interrupt();
                throw new HostExecutionException("interrupted while running: " + command.commandLine(), e);
            }
            return refuseIfSudoDenied(new ExecResult(process.exitValue(), new byte[0], err.result(KILL_GRACE),
                    Duration.ofNanos(System.nanoTime() - start)), viaSudo, command);
        }, () -> killTree(process));
    }

    private static Thread feed(OutputStream stdin, byte[] bytes) {
        Thread t = new Thread(() -> {
            try (stdin) {
                if (bytes != null) {
                    stdin.write(bytes);
                }
            } catch (IOException ignored) {
                // the process exited or closed its stdin without reading everything: its exit code tells
            }
        }, "local-exec-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** TERM the whole tree (sudo relays it to its child), then KILL what is left after a grace period. */
    private static void killTree(Process process) {
        List<ProcessHandle> tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** Effective uid of this process, from /proc/self/status, else {@code id -u}; -1 when unknown. */
    public static int currentUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: fall through
        }
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Integer.parseInt(out) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Drains one stream on its own thread so that a full stdout pipe can never block stderr (or vice versa). */
    private static final class Pump {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final Thread thread;

        Pump(InputStream stream, String name) {
            thread = new Thread(() -> {
                try (stream) {
                    stream.transferTo(buffer);
                } catch (IOException ignored) {
                    // stream closed under us (process killed)
                }
            }, "local-exec-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        byte[] result(Duration wait) {
            try {
                thread.join(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (buffer) {
                return buffer.toByteArray();
            }
        }
    }
}
