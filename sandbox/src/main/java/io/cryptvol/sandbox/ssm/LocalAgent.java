package io.cryptvol.sandbox.ssm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An agent that runs scripts on this machine with {@code sh}, the way the real agent does on its instance: the
 * script is written to {@code ROOT/COMMAND_ID/_script.sh} (the agent's orchestration directory) and run from
 * there. For unit tests of the SSM protocol path where no guest is needed.
 */
public final class LocalAgent implements SsmAgent {
    private final Path orchestration;

    /** @param orchestration where the agent keeps its per-command directories (scripts) */
    public LocalAgent(Path orchestration) {
        this.orchestration = orchestration;
    }

    @Override
    public Outcome run(String commandId, String script, Duration timeout) throws Exception {
        Path dir = Files.createDirectories(orchestration.resolve(commandId));
        Path file = dir.resolve("_script.sh");
        Files.writeString(file, script);
        Process p = new ProcessBuilder("sh", file.toString()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }
        return new Outcome(done ? p.exitValue() : -1, out.get(), err.get(), !done);
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
    }
}
