package io.cryptvol.exec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What local and SSH executors share: the sudo prefix, reading sudo's refusals, timeout wording. */
final class Sudo {
    static final String NEEDS_PASSWORD = "a password is required";

    private Sudo() {
    }

    /** argv prefixed with {@code sudo -n} (non-interactive: never prompts, fails instead). */
    static List<String> prefix(String sudoProgram, List<String> argv) {
        List<String> full = new ArrayList<>(argv.size() + 2);
        full.add(sudoProgram);
        full.add("-n");
        full.addAll(argv);
        return full;
    }

    /**
     * If sudo itself refused to run the command, the one-line message to throw; else null (the result
     * is the command's own). sudo exits 1 with a "sudo: …" line on stderr when it refuses.
     */
    static String refusal(int exitCode, String stderr, String where, String user, List<String> argv) {
        String err = stderr == null ? "" : stderr.strip();
        String who = user == null ? "this user" : user;
        if (exitCode == 1 && err.contains("sudo: " + NEEDS_PASSWORD)) {
            return "sudo needs a password on " + where + "; run cryptvol as root or allow passwordless sudo for "
                    + who + " (needed for: " + argv.get(0) + ")";
        }
        if (exitCode == 1 && err.startsWith("sudo: ") && !err.contains("\n")
                && (err.contains("not in the sudoers") || err.contains("not allowed to execute")
                        || err.contains("may not run sudo"))) {
            return "sudo refused to run " + argv.get(0) + " as root on " + where + " for " + who
                    + "; run cryptvol as root or allow passwordless sudo (" + err + ")";
        }
        if (exitCode == 127 && err.toLowerCase(Locale.ROOT).matches("(?s).*sudo:.*not found.*")) {
            return "sudo is not installed on " + where + "; run cryptvol as root or install sudo";
        }
        return null;
    }

    /**
     * The result as is, unless the command ran through sudo and sudo itself refused: then the one-line
     * {@link #refusal} as a {@link HostExecutionException}.
     */
    static ExecResult checked(ExecResult result, boolean viaSudo, String where, String user, List<String> argv) {
        if (viaSudo) {
            String refusal = refusal(result.exitCode(), result.err(), where, user, argv);
            if (refusal != null) {
                throw new HostExecutionException(refusal);
            }
            return notFoundAsShell(result, argv.get(0));
        }
        return result;
    }

    /**
     * sudo that cannot find the program exits 1 with "sudo: NAME: command not found"; a shell exits 127:
     * the result then reads as the shell's, so "not installed" is one test (exit 127) with or without sudo.
     */
    static ExecResult notFoundAsShell(ExecResult result, String program) {
        String err = result.err().strip();
        if (result.exitCode() == 1 && !err.contains("\n") && err.equals("sudo: " + program + ": command not found")) {
            return new ExecResult(127, result.stdout(),
                    (program + ": command not found\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), result.duration());
        }
        return result;
    }

    /** "500ms", "5s", "1.5s", "10min". */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms % 60_000 == 0) {
            return (ms / 60_000) + "min";
        }
        if (ms % 1000 == 0) {
            return (ms / 1000) + "s";
        }
        return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
}
