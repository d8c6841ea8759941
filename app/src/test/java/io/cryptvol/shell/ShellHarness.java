package io.cryptvol.shell;

import io.cryptvol.CryptvolApplication;
import org.jline.reader.Parser;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.shell.Input;
import org.springframework.shell.Shell;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Drives the real shell in-process, the way a user at the prompt would: each {@link #type}
 * line is parsed by the shell's own JLine parser, evaluated by Spring Shell, and what the user
 * would see on the terminal is returned. The session's files live in a temporary CRYPTVOL_HOME.
 */
public final class ShellHarness implements AutoCloseable {
    private final ConfigurableApplicationContext app;
    private final ByteArrayOutputStream screen;
    private final Keyboard keyboard;
    private int seen;

    static final ThreadLocal<Streams> STREAMS = new ThreadLocal<>();

    record Streams(java.io.InputStream in, ByteArrayOutputStream out) {
    }

    /**
     * What the user types, for the terminal to read. Not a pipe: a {@link java.io.PipedInputStream} refuses every write once
     * the thread that last read from it has ended ("Read end dead"), and JLine's non-blocking reader thread ends after
     * 60 s without input (a test that reboots the instance between two typed answers waits that long).
     */
    static final class Keyboard extends java.io.InputStream {
        private final java.util.concurrent.LinkedBlockingQueue<Integer> keys = new java.util.concurrent.LinkedBlockingQueue<>();

        void type(byte[] b) {
            for (byte x : b) {
                keys.add(x & 0xff);
            }
        }

        @Override
        public int read() throws IOException {
            try {
                return keys.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            b[off] = (byte) read();
            int n = 1;
            Integer k;
            while (n < len && (k = keys.poll()) != null) {
                b[off + n++] = (byte) (int) k;
            }
            return n;
        }

        @Override
        public int available() {
            return keys.size();
        }
    }

    public ShellHarness(Path home, Map<String, Object> props, Class<?>... extraConfig) throws IOException {
        System.setProperty("cryptvol.home", home.toString());
        System.setProperty("cryptvol.color", "never");
        System.setProperty("org.jline.terminal.disableDeprecatedProviderWarning", "true");
        screen = new ByteArrayOutputStream();
        keyboard = new Keyboard();
        STREAMS.set(new Streams(keyboard, screen));
        Class<?>[] sources = new Class<?>[extraConfig.length + 2];
        sources[0] = CryptvolApplication.class;
        sources[1] = TestTerminal.class;
        System.arraycopy(extraConfig, 0, sources, 2, extraConfig.length);
        SpringApplication sa = new SpringApplication(sources);
        sa.setWebApplicationType(WebApplicationType.NONE);
        java.util.Map<String, Object> p = new java.util.HashMap<>(props);
        p.put("spring.shell.interactive.enabled", "false");
        p.put("spring.shell.noninteractive.enabled", "false");
        p.put("logging.file.name", home.resolve("cryptvol.log").toString());
        p.put("spring.shell.history.name", home.resolve("history").toString());
        sa.setDefaultProperties(p);
        app = sa.run();
        app.getBean(ShellContext.class).setInteractionMode(InteractionMode.INTERACTIVE);
    }

    public <T> T bean(Class<T> type) {
        return app.getBean(type);
    }

    /** Types keys the next prompt will read (e.g. "y\n" for a confirmation). */
    public void keys(String s) throws IOException {
        keyboard.type(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs one line at the prompt; returns what appeared on the screen. */
    public String type(String line) throws Exception {
        Parser parser = app.getBean(Parser.class);
        List<String> words = parser.parse(line, line.length()).words();
        Shell shell = app.getBean(Shell.class);
        boolean[] given = {false};
        shell.run(() -> {
            if (given[0]) {
                return null;
            }
            given[0] = true;
            return new Input() {
                @Override
                public String rawText() {
                    return line;
                }

                @Override
                public List<String> words() {
                    return words;
                }
            };
        });
        return newOutput();
    }

    /** The prompt as the user sees it now. */
    public String prompt() {
        return app.getBean(org.springframework.shell.jline.PromptProvider.class).getPrompt().toString();
    }

    private String newOutput() {
        org.jline.terminal.Terminal t = app.getBean(org.jline.terminal.Terminal.class);
        t.writer().flush();
        t.flush();
        String all = screen.toString(StandardCharsets.UTF_8);
        String fresh = all.substring(Math.min(seen, all.length()));
        seen = all.length();
        return fresh.replace("\r\n", "\n");
    }

    @Override
    public void close() {
        app.close();
        STREAMS.remove();
        System.clearProperty("cryptvol.home");
        System.clearProperty("cryptvol.color");
    }

    @Configuration(proxyBeanMethods = false)
    static class TestTerminal {
        @Bean(destroyMethod = "close")
        @org.springframework.context.annotation.Primary
        org.jline.terminal.Terminal testTerminal() throws IOException {
            Streams s = STREAMS.get();
            return new org.jline.terminal.impl.DumbTerminal("test", "dumb", s.in(), s.out(), StandardCharsets.UTF_8);
        }
    }
}
