package io.cryptvol.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyLedgerTest {
    @TempDir
    Path home;

    @Test
    void persistsAcrossInstancesAndMarksShredded() throws Exception {
        Path file = home.resolve("state/key-ledger.json");
        KeyLedger one = new KeyLedger(file);
        LedgerEntry a = one.record("admin@10.0.0.5:22", "/run/cryptvol/aa.key", "data-key-1");
        LedgerEntry b = one.record("local", "/run/cryptvol/bb.key", "data-key-2");
        LedgerEntry c = one.recordLocal(home.resolve("tmp.key"), "data-key-1");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");

        // the "crash": a new instance reads the trail
        KeyLedger two = new KeyLedger(file);
        assertThat(two.outstanding()).extracting(LedgerEntry::id).containsExactly(a.id(), b.id(), c.id());
        assertThat(two.outstandingOn("admin@10.0.0.5")).extracting(LedgerEntry::id).containsExactly(a.id());
        assertThat(two.outstandingOn("local")).extracting(LedgerEntry::id).containsExactly(b.id());
        assertThat(two.find(c.id()).orElseThrow().kind()).isEqualTo(LedgerEntry.Kind.LOCAL_FILE);

        two.markShredded(a.id());
        assertThat(two.markShredded("local", "/run/cryptvol/bb.key")).isEqualTo(1);
        KeyLedger three = new KeyLedger(file);
        assertThat(three.outstanding()).extracting(LedgerEntry::id).containsExactly(c.id());
        LedgerEntry done = three.find(a.id()).orElseThrow();
        assertThat(done.shredded()).isTrue();
        assertThat(done.shreddedAt()).isNotNull();
        assertThat(three.all()).hasSize(3);
        assertThat(three.prune(Instant.now().plusSeconds(1))).isEqualTo(2);
        assertThat(three.all()).extracting(LedgerEntry::id).containsExactly(c.id());
    }

    @Test
    void aDamagedLedgerIsNeverSilentlyForgotten() throws Exception {
        Path file = home.resolve("key-ledger.json");
        Files.writeString(file, "{ not json");
        KeyLedger l = new KeyLedger(file);
        assertThatThrownBy(l::outstanding).hasMessageContaining("repair or move it");
        assertThatThrownBy(() -> l.record("local", "/run/x", "k")).hasMessageContaining("repair or move it");
        assertThat(Files.readString(file)).isEqualTo("{ not json");
    }

    @Test
    void localTempFilesAreShreddedHereAndOtherHostsReportedUnreachable() throws Exception {
        KeyLedger l = new KeyLedger(home.resolve("key-ledger.json"));
        Path tmp = home.resolve("transfer.key");
        LedgerEntry local = l.recordLocal(tmp, "k");
        Files.write(tmp, new byte[64]);
        LedgerEntry remote = l.record("admin@far:22", "/run/cryptvol/x.key", "k");
        List<LedgerShredder.Outcome> out = new LedgerShredder(l).shredOutstanding("local",
                () -> { throw new AssertionError("no executor needed"); });
        assertThat(out).extracting(o -> o.entry().id(), LedgerShredder.Outcome::result).containsExactly(
                org.assertj.core.groups.Tuple.tuple(local.id(), LedgerShredder.Result.SHREDDED),
                org.assertj.core.groups.Tuple.tuple(remote.id(), LedgerShredder.Result.NOT_REACHABLE));
        assertThat(out.get(1).note()).isEqualTo("not reachable now (connect to admin@far:22 to scrub)");
        assertThat(tmp).doesNotExist();
        assertThat(l.outstanding()).extracting(LedgerEntry::id).containsExactly(remote.id());
    }
}
