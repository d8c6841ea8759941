package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Header backups in the key store: naming, 0600, metadata only, SHA-256 on arrival and on every read, copies. */
class HeaderBackupsTest {
    static final String U = "4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b";
    static final Instant T = Instant.parse("2026-11-30T21:30:15.700Z");

    @TempDir
    Path tmp;

    static byte[] header(String uuid, int fill) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put(new byte[]{'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}).putShort((short) 1);
        b.position(168).put(uuid.getBytes(StandardCharsets.US_ASCII));
        for (int i = 1024; i < 4096; i++) {
            b.put(i, (byte) fill);
        }
        return b.array();
    }

    HeaderBackups store() {
        return new HeaderBackups(tmp.resolve("headers"), tmp.resolve("headers.json"));
    }

    @Test
    void namedByUuidAndUtcSecond_0600_recordedWithItsDigest() throws Exception {
        HeaderBackups s = store();
        byte[] h = header(U.toUpperCase(), 7);
        HeaderBackups.Backup b = s.add(h, KeyStore.sha256(h), "/dev/myvg/mylv", "root@10.0.0.5:22", T);
        assertThat(b.file()).isEqualTo(U + "_20261130T213015Z.luksheader");
        assertThat(b.uuid()).isEqualTo(U);
        assertThat(b.version()).isEqualTo(1);
        assertThat(b.size()).isEqualTo(4096);
        assertThat(b.taken()).isEqualTo(Instant.parse("2026-11-30T21:30:15Z"));
        assertThat(Files.getPosixFilePermissions(s.dir())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(s.dir().resolve(b.file()))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(tmp.resolve("headers.json"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        // a second one in the same second is a new file, never an overwrite
        byte[] h2 = header(U, 8);
        HeaderBackups.Backup b2 = s.add(h2, null, "/dev/myvg/mylv", "root@10.0.0.5:22", T);
        assertThat(b2.file()).isEqualTo(U + "_20261130T213015Z-2.luksheader");
        assertThat(s.read(b)).isEqualTo(h);
        assertThat(s.list()).extracting(HeaderBackups.Backup::file).containsExactly(b.file(), b2.file());
        assertThat(s.find(U)).contains(b2); // a UUID names its newest
        assertThat(s.find(b.file())).contains(b);
        assertThat(s.of("11111111-2222-3333-4444-555555555555")).isEmpty();
        // metadata only: the JSON holds the digest, never the bytes
        String json = Files.readString(tmp.resolve("headers.json"));
        assertThat(json).contains(b.sha256()).doesNotContain(Base64.getEncoder().encodeToString(h).substring(0, 40));
        // a fresh instance reads the same record
        assertThat(store().list()).isEqualTo(s.list());
    }

    static Stream<Arguments> refusedOnArrival() {
        byte[] notLuks = header(U, 1);
        notLuks[0] = 'X';
        byte[] good = header(U, 1);
        return Stream.of(
                arguments("not a LUKS header", notLuks, KeyStore.sha256(notLuks), "is not a LUKS header"),
                arguments("another digest on the host", good, "00".repeat(32), "the host computed 0000000000000000"),
                arguments("a UUID that is not one", header("$(reboot)-aaaa-bbbb-cccc-dddddddddddd", 1), null,
                        "is not a LUKS header"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void refusedOnArrival(String name, byte[] bytes, String hostSha, String message) {
        HeaderBackups s = store();
        assertThatThrownBy(() -> s.add(bytes, hostSha, "/dev/x", "local", T)).isInstanceOf(CryptvolException.class)
                .hasMessageContaining(message);
        assertThat(s.list()).isEmpty();
    }

    @Test
    void aBackupFileChangedSinceIsRefused() throws Exception {
        HeaderBackups s = store();
        HeaderBackups.Backup b = s.add(header(U, 1), null, "/dev/x", "local", T);
        Path f = s.dir().resolve(b.file());
        byte[] bytes = Files.readAllBytes(f);
        bytes[2000] ^= 1;
        Files.write(f, bytes);
        assertThatThrownBy(() -> s.read(b)).hasMessageContaining("SHA-256 no longer matches")
                .hasMessageContaining("recorded " + b.fingerprint());
        Files.delete(f);
        assertThatThrownBy(() -> s.read(b)).hasMessageContaining("is missing");
    }

    @Test
    void copiesGoWithTheKeysBackupAndAreRecorded() throws Exception {
        HeaderBackups s = store();
        HeaderBackups.Backup b = s.add(header(U, 1), null, "/dev/x", "local", T);
        s.add(header("11111111-2222-3333-4444-555555555555", 2), null, "/dev/y", "local", T);
        Path usb = Files.createDirectories(tmp.resolve("usb"));
        List<HeaderBackups.Backup> copied = s.copyTo(List.of(U), usb, T);
        assertThat(copied).singleElement().satisfies(c -> assertThat(c.copies()).extracting(HeaderBackups.Copy::path)
                .containsExactly(usb.resolve(b.file()).toString()));
        assertThat(Files.readAllBytes(usb.resolve(b.file()))).isEqualTo(header(U, 1));
        assertThat(Files.getPosixFilePermissions(usb.resolve(b.file()))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(s.find(b.file()).orElseThrow().copies()).hasSize(1);
        assertThat(s.copyTo(List.of(U), usb, T)).hasSize(1); // the same bytes there already: counts, one record
        assertThat(s.find(b.file()).orElseThrow().copies()).hasSize(1);
        Files.write(usb.resolve(b.file()), new byte[]{1});
        assertThatThrownBy(() -> s.copyTo(List.of(U), usb, T)).hasMessageContaining("exists with other bytes");
    }

    @Test
    void theKeyStoreKeepsItsHeadersBesideItsMetadataAndARehearsalHasItsOwn() {
        KeyStore ks = new KeyStore(tmp.resolve("keys"), tmp.resolve("keys.json"));
        assertThat(ks.headers().dir()).isEqualTo(tmp.resolve("headers"));
        ks.divert(tmp.resolve("r/keys"), tmp.resolve("r/keys.json"));
        assertThat(ks.headers().dir()).isEqualTo(tmp.resolve("r/headers"));
        ks.divert(null, null);
        assertThat(ks.headers().dir()).isEqualTo(tmp.resolve("headers"));
    }

    static Stream<Arguments> fetched() {
        byte[] h = header(U, 3);
        String sha = KeyStore.sha256(h);
        String b64 = Base64.getEncoder().encodeToString(h);
        return Stream.of(
                arguments("sha line then base64", sha + "  -\n" + b64, null),
                arguments("no sha line", b64, "without its SHA-256 line"),
                arguments("a first line that is not a digest", "$(reboot)  -\n" + b64, "not a SHA-256"),
                arguments("not base64", sha + "  -\n" + "@@@@", "not base64"),
                arguments("empty body", sha + "  -\n", "came back empty"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void fetched(String name, String out, String error) {
        if (error == null) {
            HeaderBackupRecorder.Fetched f = HeaderBackupRecorder.parse(out.getBytes(StandardCharsets.US_ASCII), "/dev/x");
            assertThat(f.bytes()).isEqualTo(header(U, 3));
            assertThat(f.sha256()).isEqualTo(KeyStore.sha256(header(U, 3)));
        } else {
            assertThatThrownBy(() -> HeaderBackupRecorder.parse(out.getBytes(StandardCharsets.US_ASCII), "/dev/x"))
                    .hasMessageContaining(error).hasMessageContaining("the header backup of /dev/x");
        }
    }

    @Test
    void keysBackupTakesTheHeaderBackupsOfTheVolumesTheKeyOpens() throws Exception {
        KeyStore ks = new KeyStore(tmp.resolve("keys"), tmp.resolve("keys.json"));
        ks.generate(List.of("k1", "k2"), 64);
        ks.recordEnrollment("k1", U, 0, null);
        HeaderBackups.Backup mine = ks.headers().add(header(U, 1), null, "/dev/x", "local", T);
        ks.headers().add(header("11111111-2222-3333-4444-555555555555", 2), null, "/dev/y", "local", T);
        Path usb = Files.createDirectories(tmp.resolve("usb"));
        assertThat(ks.backupHeaders("k1", usb)).extracting(HeaderBackups.Backup::file).containsExactly(mine.file());
        assertThat(usb.resolve(mine.file())).exists();
        assertThat(ks.backupHeaders("k2", usb)).isEmpty(); // opens nothing recorded: no header goes with it
        try (var files = Files.list(usb)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly(mine.file());
        }
    }
}
