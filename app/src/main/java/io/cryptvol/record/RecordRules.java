package io.cryptvol.record;

import org.springframework.shell.command.CommandRegistration;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a recording keeps, and how a command line is written into it. Also the one list of options
 * whose values are secrets, which the command history honours too.
 */
public final class RecordRules {

    /** Commands never recorded (besides those annotated {@link NotRecorded}): they only read or steer the shell. */
    public static final Set<String> NOT_RECORDED = Set.of(
            "record start", "record stop", "record status", "replay",
            "help", "history", "context", "version", "clear", "quit", "exit", "stacktrace", "script", "completion",
            "completion bash", "completion zsh");

    /**
     * Options whose value is a secret. Recordings write {@code ${?NAME}} instead (asked at replay time),
     * and history drops any line that has one. Declare new secret options here.
     */
    public static final Set<String> SECRET_OPTIONS = Set.of(
            "passphrase", "new-passphrase", "old-passphrase", "key-data", "secret", "password");

    /**
     * Commands without a {@code --dry-run} option that {@code replay --dry-run} may still run: they only read,
     * or steer the session (which the dry run puts back afterwards). Every other command must have
     * {@code --dry-run}, which the dry run adds to its line; a script naming one that has neither is refused
     * before anything runs. Not {@code keys verify}: it records when each backup was last checked in the key store,
     * and a dry run changes nothing anywhere.
     */
    public static final Set<String> DRY_RUN_SAFE = Set.of(
            "connect", "disconnect", "use", "context", "devices", "version", "help", "history", "clear",
            "aws use", "aws show", "keys list", "keys where", "luks status", "volumes list",
            "snapshots list", "sandbox status", "luks header list", "luks header verify", "doctor", "ephemeral status",
            "snapshots policy show", "unlock policy show");

    /** A command given with one of these changed nothing; it is not recorded. */
    public static final Set<String> NOT_RECORDED_FLAGS = Set.of("--dry-run", "--help", "-h");

    private RecordRules() {
    }

    /** Does a successful run of this command belong in a recording? */
    public static boolean recorded(String command, CommandRegistration registration, List<String> words) {
        if (command == null || NOT_RECORDED.contains(command) || command.startsWith("_")) {
            return false;
        }
        if (registration != null && registration.getTarget() != null) {
            Method m = registration.getTarget().getMethod();
            if (m != null && (m.isAnnotationPresent(NotRecorded.class)
                    || m.getDeclaringClass().isAnnotationPresent(NotRecorded.class))) {
                return false;
            }
        }
        return words.stream().noneMatch(NOT_RECORDED_FLAGS::contains);
    }

    /** The name of the secret option this word introduces ({@code --passphrase} or {@code --passphrase=x}), or null. */
    public static String secretOption(String word) {
        if (!word.startsWith("--")) {
            return null;
        }
        String name = word.substring(2);
        int eq = name.indexOf('=');
        if (eq >= 0) {
            name = name.substring(0, eq);
        }
        name = name.toLowerCase(Locale.ROOT);
        return SECRET_OPTIONS.contains(name) ? name : null;
    }

    /** True when any word carries a secret option (history skips such lines). */
    public static boolean hasSecret(List<String> words) {
        return words.stream().anyMatch(w -> secretOption(w) != null);
    }

    /** The prompt variable that stands for a secret option's value: {@code new-passphrase} → {@code new_passphrase}. */
    public static String promptName(String option) {
        return option.replace('-', '_');
    }

    /** The line a recording keeps: quoted as typed, secret option values replaced by {@code ${?name}}. */
    public static String line(List<String> words) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            String secret = secretOption(w);
            if (secret == null) {
                out.add(ScriptFormat.quote(w));
                continue;
            }
            out.add("--" + secret);
            boolean inline = w.contains("=");
            boolean next = !inline && i + 1 < words.size() && !words.get(i + 1).startsWith("--");
            if (inline || next) {
                out.add("${?" + promptName(secret) + "}");
            }
            if (next) {
                i++; // the value itself is never written
            }
        }
        return String.join(" ", out);
    }
}
