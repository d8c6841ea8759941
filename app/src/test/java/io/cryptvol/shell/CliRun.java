package io.cryptvol.shell;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code cryptvol ARGS…} in a JVM of its own, as a user's shell runs it: a bare environment (PATH, HOME,
 * a UTF-8 locale, then what the test adds; no AWS settings), stdin from /dev/null, stdout and stderr apart;
 * with the JVM flags of scripts/cryptvol.
 */
public record CliRun(int exitCode, String stdout, String stderr) {

    public List<String> errorLines() {
        return (stdout + stderr).lines().filter(l -> l.startsWith("error:")).toList();
    }

    public static CliRun cryptvol(Path home, Map<String, String> extraEnv, String... args) throws Exception {
        return cryptvolIn(null, VolumeCliTest.productClasspath(), home, extraEnv, args);
    }

    /** {@link #cryptvol} started in the directory {@code dir} (null: this JVM's). */
    static CliRun cryptvolIn(Path dir, Path home, Map<String, String> extraEnv, String... args) throws Exception {
        return cryptvolIn(dir, VolumeCliTest.productClasspath(), home, extraEnv, args);
    }

    /** {@link #cryptvol(Path, Map, String...)} on a class path of the caller's choosing. */
    static CliRun cryptvol(String classpath, Path home, Map<String, String> extraEnv, String... args) throws Exception {
        return cryptvolIn(null, classpath, home, extraEnv, args);
    }

    /** As scripts/cryptvol starts it, on {@code classpath}, in the directory {@code dir} (null: this JVM's). */
    static CliRun cryptvolIn(Path dir, String classpath, Path home, Map<String, String> extraEnv, String... args)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(List.of("-cp", classpath,
                "io.cryptvol.CryptvolApplication"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Map<String, String> env = pb.environment();
        env.clear(); // no AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID, CRYPTVOL_EC2_ENDPOINT, ...
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", home.toString()); // no ~/.aws/config or credentials
        env.put("LANG", "C.UTF-8"); // a locale is not AWS configuration; without one the JVM prints '—' as '?'
        env.putAll(extraEnv);
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("cryptvol " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new CliRun(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
