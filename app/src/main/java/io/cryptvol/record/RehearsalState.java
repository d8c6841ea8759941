package io.cryptvol.record;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.keys.KeyLedger;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.keys.Shredder;
import io.cryptvol.session.Inventory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The session's own state a rehearsal must not touch, set aside while it runs: the key store and the key ledger
 * become throwaway ones in a fresh 0700 directory ({@code rehearsal-*} under {@code parent}; keys 0600 as in any
 * store), the completion inventory is put back as it was, and a recording in progress does not take the
 * rehearsal's lines (they ran on the sandbox; the real run's lines are recorded). {@link Scope#close()} puts the real store and
 * ledger back and shreds the throwaway directory, every file in it. A directory left by a rehearsal that never
 * ended (the JVM was killed) is shredded by the next one. The context is the sandbox's ({@code SandboxSession}).
 */
public final class RehearsalState {
    static final String PREFIX = "rehearsal-";
    private final KeyStore keys;
    private final KeyLedger ledger;
    private final Inventory inventory;
    private final Recorder recorder;
    private final Path parent;

    /** Puts the session's own state back and shreds the throwaway one. */
    public interface Scope extends AutoCloseable {
        /** @throws CryptvolException when a throwaway file could not be shredded (the real state is back all the same) */
        @Override
        void close();
    }

    public RehearsalState(KeyStore keys, KeyLedger ledger, Inventory inventory, Recorder recorder, Path parent) {
        this.recorder = recorder;
        this.keys = keys;
        this.ledger = ledger;
        this.inventory = inventory;
        this.parent = parent;
    }

    /** Diverts the key store and ledger to a new throwaway directory; the scope puts everything back. */
    public Scope enter() {
        shredLeftovers();
        Path dir;
        try {
            Files.createDirectories(parent);
            dir = Files.createTempDirectory(parent, PREFIX,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new CryptvolException("cannot make the rehearsal's throwaway key store in " + parent + ": "
                    + e.getMessage() + "; nothing was run", ExitCode.FAILED, null);
        }
        Map<String, Map<String, List<String>>> names = inventory.snapshot();
        keys.divert(dir.resolve("keys"), dir.resolve("keys.json"));
        ledger.divert(dir.resolve("key-ledger.json"));
        inventory.put("key", List.of());
        recorder.pause(true);
        return () -> {
            recorder.pause(false);
            keys.divert(null, null);
            ledger.divert(null);
            inventory.clear();
            inventory.restore(names);
            shredTree(dir);
        };
    }

    private void shredLeftovers() {
        if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path p : ds) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    shredTree(p);
                }
            }
        } catch (IOException e) {
            throw new CryptvolException("cannot look for a rehearsal's leftovers in " + parent + ": " + e.getMessage(),
                    ExitCode.FAILED, null);
        }
    }

    /** Shreds every file below {@code dir} (links are removed, never followed), then removes the directories. */
    static void shredTree(Path dir) {
        List<String> failed = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        Files.delete(p);
                    } else {
                        Shredder.shred(p);
                    }
                } catch (IOException e) {
                    failed.add(p + " (" + e.getMessage() + ")");
                }
            }
        } catch (IOException e) {
            failed.add(dir + " (" + e.getMessage() + ")");
        }
        if (!failed.isEmpty()) {
            throw new CryptvolException("the rehearsal's throwaway key store is not gone: " + String.join(", ", failed)
                    + "; shred it by hand", ExitCode.FAILED, null);
        }
    }
}
