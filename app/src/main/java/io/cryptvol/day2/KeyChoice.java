package io.cryptvol.day2;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.keys.KeyStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the key for one unlock comes from: a named key of the key store, a key file on this (the admin's)
 * machine, a backup directory, or a typed passphrase. Bytes are read only when a command needs them and
 * only ever go to a process's stdin; a passphrase lives in memory for this command and is never recorded.
 */
public final class KeyChoice implements AutoCloseable {
    private final String label;
    private final boolean store;
    private final Path file;
    private byte[] typed;

    private KeyChoice(String label, boolean store, Path file, byte[] typed) {
        this.label = label;
        this.store = store;
        this.file = file;
        this.typed = typed;
    }

    public static KeyChoice named(String name) {
        KeyStore.validateName(name);
        return new KeyChoice(name, true, null, null);
    }

    public static KeyChoice file(Path path) {
        Path p = path.toAbsolutePath().normalize();
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new CryptvolException("key file " + p + " does not exist or cannot be read", ExitCode.USAGE, null);
        }
        return new KeyChoice("file " + p.getFileName(), false, p, null);
    }

    /** {@code DIR/NAME.key}; without a name, the only {@code *.key} file in DIR. */
    public static KeyChoice backup(Path dir, String name) {
        Path d = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(d)) {
            throw new CryptvolException("backup location " + d + " is not a directory (is the drive mounted?)", ExitCode.USAGE, null);
        }
        Path f;
        if (name != null) {
            f = d.resolve(KeyStore.validateName(name) + KeyStore.SUFFIX);
        } else {
            List<Path> keys;
            try (Stream<Path> s = Files.list(d)) {
                keys = s.filter(p -> p.getFileName().toString().endsWith(KeyStore.SUFFIX)).sorted().toList();
            } catch (IOException e) {
                throw new CryptvolException("cannot list " + d + ": " + e.getMessage(), ExitCode.FAILED, null);
            }
            if (keys.size() != 1) {
                throw new CryptvolException(keys.isEmpty() ? "no *.key file in " + d
                        : d + " holds several keys (" + String.join(", ", keys.stream().map(p -> p.getFileName()
                        .toString()).toList()) + "): pass --key NAME too", ExitCode.USAGE, null);
            }
            f = keys.get(0);
        }
        if (!Files.isRegularFile(f)) {
            throw new CryptvolException("no backup " + f.getFileName() + " in " + d, ExitCode.USAGE, null);
        }
        return new KeyChoice("backup " + f.getFileName(), false, f, null);
    }

    public static KeyChoice passphrase(String typed) {
        if (typed == null || typed.isEmpty()) {
            throw new CryptvolException("no passphrase typed", ExitCode.USAGE, null);
        }
        return new KeyChoice("typed passphrase", false, null, typed.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * The one resolver of key options, shared by unlock, grow, luks add-key and restore: {@code --key NAME} (the
     * store), {@code --key-file PATH}, {@code --key-backup DIR} (with {@code --key NAME}: which file in it) or
     * {@code --passphrase} (asked without echo). Null when none was given; more than one is a usage error.
     */
    public static KeyChoice resolve(String key, String keyFile, String keyBackup, boolean passphrase,
                                    java.util.function.Supplier<String> askPassphrase) {
        int n = (keyFile != null ? 1 : 0) + (keyBackup != null ? 1 : 0) + (passphrase ? 1 : 0)
                + (key != null && keyBackup == null ? 1 : 0);
        if (n > 1) {
            throw new CryptvolException("give one key source: --key NAME, --key-file PATH, --key-backup DIR "
                    + "(with --key NAME to pick the file) or --passphrase", ExitCode.USAGE, null);
        }
        if (keyBackup != null) {
            return backup(Path.of(keyBackup), key);
        }
        if (keyFile != null) {
            return file(Path.of(keyFile));
        }
        if (passphrase) {
            return passphrase(askPassphrase.get());
        }
        return key == null ? null : named(key);
    }

    /**
     * This choice, or (when it would show as the same key as {@code other}: two typed passphrases, two files of
     * one name) the same source labelled "new …", so that a plan's two key references never mix. The original is
     * spent: its typed bytes move to the copy. A store key keeps its name (two equal names are the planner's refusal).
     */
    public KeyChoice distinctFrom(KeyChoice other) {
        if (store || other == null || !label.equals(other.label)) {
            return this;
        }
        KeyChoice c = new KeyChoice("new " + label, false, file, typed);
        typed = null;
        return c;
    }

    /**
     * Asks for a passphrase through the one prompt, without echo; with {@code confirm}, twice, and refuses when the
     * two differ (a new key must be typed the same way twice). Null at end of input.
     */
    public static java.util.function.Supplier<String> asking(io.cryptvol.session.Prompt prompt, String question,
                                                             boolean confirm) {
        return () -> {
            String first = secret(prompt, question + " (not echoed): ");
            if (first == null || !confirm) {
                return first;
            }
            String again = secret(prompt, "Again: ");
            if (!first.equals(again)) {
                throw new CryptvolException("the two passphrases differ; nothing was changed", ExitCode.USAGE, null);
            }
            return first;
        };
    }

    /** A secret typed at the prompt (no echo), as a String; the typed chars are wiped. Null when not answered. */
    public static String secret(io.cryptvol.session.Prompt prompt, String question) {
        char[] c = prompt.askSecret(question);
        if (c == null) {
            return null;
        }
        try {
            return new String(c);
        } finally {
            Arrays.fill(c, '\0');
        }
    }

    /**
     * Exactly one source for a key a command requires, before any question is asked: none or several is one usage
     * line naming the options ({@code prefix} "new-" for luks add-key's key to add).
     */
    public static void check(String key, String keyFile, String keyBackup, boolean passphrase, String what, String prefix) {
        int n = (keyFile != null ? 1 : 0) + (keyBackup != null ? 1 : 0) + (passphrase ? 1 : 0)
                + (key != null && keyBackup == null ? 1 : 0);
        if (n != 1) {
            String p = "--" + prefix;
            throw new CryptvolException((n == 0 ? "give " : "give one source for ") + what + ": " + p + "key NAME, "
                    + p + "key-file PATH, " + p + "key-backup DIR (with " + p + "key NAME to pick the file) or --"
                    + prefix + "passphrase", ExitCode.USAGE, null);
        }
    }

    /** True for a key of the key store (its bytes come from the store). */
    public boolean fromStore() {
        return store;
    }

    /** True for a typed passphrase. */
    public boolean typed() {
        return typed != null || label.endsWith("typed passphrase");
    }

    /** A key file outside the store (a file or a backup copy); null for the others. */
    public Path file() {
        return file;
    }

    /** What the plan shows: the key's name, "file x.key", "backup x.key" or "typed passphrase". */
    public String label() {
        return label;
    }

    public KeyRef ref() {
        return KeyRef.named(label);
    }

    /**
     * A key source for this choice only: bytes for {@link #ref()}, null for anything else (and for a store
     * key, which the usual key source serves).
     */
    public io.cryptvol.exec.PlanRunner.KeySource source() {
        return ref -> {
            if (store || !ref.equals(ref())) {
                return null;
            }
            if (typed != null) {
                return typed.clone();
            }
            try {
                byte[] b = Files.readAllBytes(file);
                if (b.length == 0) {
                    throw new CryptvolException(file + " is empty", ExitCode.USAGE, null);
                }
                return b;
            } catch (IOException e) {
                throw new CryptvolException("cannot read key file " + file + ": " + e.getMessage(), ExitCode.FAILED, null);
            }
        };
    }

    @Override
    public void close() {
        if (typed != null) {
            Arrays.fill(typed, (byte) 0);
            typed = null;
        }
    }

    @Override
    public String toString() {
        return label;
    }
}
