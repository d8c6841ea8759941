package io.cryptvol.sandbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.cryptvol.CryptvolException;

/**
 * A minimal QEMU Machine Protocol client over a unix socket: one command at a time, responses matched by id,
 * asynchronous events kept in a queue until someone waits for them.
 */
final class QmpClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode CLOSED = JSON.createObjectNode().put("closed", true);

    private final SocketChannel channel;
    private final OutputStream out;
    private final BlockingQueue<JsonNode> responses = new LinkedBlockingQueue<>();
    private final List<JsonNode> events = new ArrayList<>();
    private final Thread reader;
    private long nextId = 1;
    private volatile boolean closed;

    private QmpClient(SocketChannel channel) throws IOException {
        this.channel = channel;
        // Not Channels.newInputStream/newOutputStream: both lock the channel's blockingLock, so a write
        // would wait for the reader thread's blocked read. SocketChannel.read/write may run concurrently.
        this.out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
        };
        InputStream raw = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return channel.read(ByteBuffer.wrap(b, off, len));
            }
        };
        BufferedReader in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
        String greeting = in.readLine();
        if (greeting == null || !JSON.readTree(greeting).has("QMP")) {
            throw new IOException("no QMP greeting: " + greeting);
        }
        reader = new Thread(() -> readLoop(in), "qmp-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects (retrying while qemu creates the socket) and negotiates capabilities. */
    static QmpClient connect(Path socket, Duration timeout, ProcessHandle qemu) {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (qemu != null && !qemu.isAlive()) {
                throw new CryptvolException("qemu exited before its QMP socket " + socket + " answered");
            }
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(socket));
                QmpClient c = new QmpClient(ch);
                c.execute("qmp_capabilities", null);
                return c;
            } catch (IOException e) {
                last = e;
                closeQuietly(ch);
                sleep(100);
            }
        }
        throw new CryptvolException("cannot connect to QMP socket " + socket + ": "
                + (last == null ? "timeout" : last.getMessage()), last);
    }

    private void readLoop(BufferedReader in) {
        try {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode msg = JSON.readTree(line);
                if (msg.has("event")) {
                    synchronized (events) {
                        events.add(msg);
                        events.notifyAll();
                    }
                } else {
                    responses.add(msg);
                }
            }
        } catch (IOException e) {
            // socket closed
        } finally {
            closed = true;
            responses.add(CLOSED);
            synchronized (events) {
                events.notifyAll();
            }
        }
    }

    /** Runs one command; returns its "return" value or throws with QMP's error description. */
    synchronized JsonNode execute(String command, Map<String, ?> arguments) {
        long id = nextId++;
        ObjectNode req = JSON.createObjectNode();
        req.put("execute", command);
        if (arguments != null) {
            req.set("arguments", JSON.valueToTree(arguments));
        }
        req.put("id", id);
        try {
            out.write((JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                JsonNode resp = responses.poll(60, TimeUnit.SECONDS);
                if (resp == null) {
                    throw new CryptvolException("QMP " + command + ": no answer in 60 s");
                }
                if (resp == CLOSED) {
                    responses.add(CLOSED);
                    throw new CryptvolException("QMP " + command + ": connection closed (qemu gone?)");
                }
                if (resp.path("id").asLong(-1) != id) {
                    continue; // answer to an earlier command that timed out
                }
                if (resp.has("error")) {
                    throw new CryptvolException("QMP " + command + " failed: "
                            + resp.path("error").path("desc").asText(resp.toString()));
                }
                return resp.path("return");
            }
        } catch (IOException e) {
            throw new CryptvolException("QMP " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("QMP " + command + ": interrupted", e);
        }
    }

    /** Waits for (and consumes) the first event that matches; null on timeout. */
    JsonNode awaitEvent(Predicate<JsonNode> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (events) {
            while (true) {
                for (int i = 0; i < events.size(); i++) {
                    if (match.test(events.get(i))) {
                        return events.remove(i);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    return null;
                }
                try {
                    events.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
    }

    /** Forgets events that nobody waited for. */
    void clearEvents() {
        synchronized (events) {
            events.clear();
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("interrupted");
        }
    }
}
