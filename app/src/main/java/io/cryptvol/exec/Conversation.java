package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A host command that keeps running while cryptvol talks to it: lines to its stdin, lines from its
 * stdout. For steps whose two halves must be as close together as possible, e.g. {@code xfs_freeze -f}
 * … {@code xfs_freeze -u} around the snapshot call: the process is already running when the second half
 * is wanted, so no connection, channel or process start lies between them. Closing the conversation ends
 * the command's stdin (a well-behaved command then finishes: a freeze holder thaws).
 */
public final class Conversation implements AutoCloseable {
    /** Queued after the last line: stdout ended. */
    private static final Object EOF = new Object();
    private final HostCommand command;
    private final OutputStream stdin;
    private final LinkedBlockingQueue<Object> lines = new LinkedBlockingQueue<>();
    private final Function<Duration, ExecResult> finish;
    private final Runnable abort;
    private final java.util.List<java.util.function.Consumer<ExecResult>> onFinish = new java.util.concurrent.CopyOnWriteArrayList<>();
    private boolean stdinClosed;
    private boolean eof;
    private ExecResult result;

    /**
     * @param stdout the command's stdout, read line by line on a daemon thread
     * @param stdin  the command's stdin
     * @param finish waits (at most the given time) for the command to exit; its result carries stderr (stdout
     *               went to the lines) and throws {@link HostExecutionException} on a timeout
     * @param abort  kills the command (best effort), for {@link #close} when it did not finish
     */
    public Conversation(HostCommand command, InputStream stdout, OutputStream stdin,
                        Function<Duration, ExecResult> finish, Runnable abort) {
        this.command = command;
        this.stdin = stdin;
        this.finish = finish;
        this.abort = abort;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stdout, StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the command or the connection is gone: the end of the lines says so
            } finally {
                lines.add(EOF);
            }
        }, "conversation-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    public HostCommand command() {
        return command;
    }

    /** The next line the command printed; null when its stdout ended or nothing came within {@code timeout}. */
    public String readLine(Duration timeout) {
        if (eof) {
            return null;
        }
        try {
            Object l = lines.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (l == EOF) {
                eof = true;
                return null;
            }
            return (String) l;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Sends one line to the command's stdin. */
    public void send(String line) {
        try {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new HostExecutionException("could not send to '" + command.description() + "': the command or its connection is gone", e);
        }
    }

    /** Ends stdin and waits for the command to exit; the result's stdout is empty (it went to the lines). */
    public synchronized ExecResult finish(Duration timeout) {
        closeStdin();
        if (result == null) {
            result = finish.apply(timeout);
            onFinish.forEach(f -> f.accept(result));
        }
        return result;
    }

    /** Called with the result when the command has finished (e.g. to write it to the transcript). */
    public void onFinish(java.util.function.Consumer<ExecResult> f) {
        onFinish.add(f);
    }

    private void closeStdin() {
        if (!stdinClosed) {
            stdinClosed = true;
            try {
                stdin.close();
            } catch (IOException ignored) {
                // already closed by the other side
            }
        }
    }

    /** Ends stdin; a command that does not finish within 5 s is killed. */
    @Override
    public synchronized void close() {
        if (result != null) {
            return;
        }
        try {
            finish(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            abort.run();
        }
    }
}
