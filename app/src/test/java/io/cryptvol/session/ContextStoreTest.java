package io.cryptvol.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;

import static org.assertj.core.api.Assertions.assertThat;

class ContextStoreTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryFieldOfAnSshContext() {
        ContextStore store = new ContextStore(dir.resolve("cfg/context.json"));
        ContextState s = new ContextState(Target.ssh("admin@10.0.0.5:2222", "/home/a/.ssh/id_ed25519", "/tmp/kh"),
                "i-0123456789abcdef0", "myvg", "mylv", "myencryptedlv", "/mnt/data");
        store.save(s);
        assertThat(store.load()).isEqualTo(s);
    }

    @Test
    void localContextRoundTrips() {
        ContextStore store = new ContextStore(dir.resolve("context.json"));
        ContextState s = new ContextState(Target.LOCAL, null, "vg0", null, null, null);
        store.save(s);
        assertThat(store.load()).isEqualTo(s);
    }

    @Test
    void fileIsPrivateAndHoldsOnlyNamesAndPaths() throws Exception {
        Path file = dir.resolve("cfg/context.json");
        ContextStore store = new ContextStore(file);
        store.save(new ContextState(Target.ssh("root@h", "/k/id", null), "i-0abc12345", "v", "l", "m", "/mnt/x"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        JsonNode n = new ObjectMapper().readTree(file.toFile());
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            assertThat(ContextStore.FIELDS).contains(it.next());
        }
        // the identity file is referenced by path; its content (a private key) is never copied in
        assertThat(Files.readString(file)).doesNotContain("PRIVATE KEY");
    }

    @Test
    void damagedFileIsIgnored() throws Exception {
        Path file = dir.resolve("context.json");
        Files.writeString(file, "{not json");
        assertThat(new ContextStore(file).load()).isNull();
        assertThat(new ContextStore(dir.resolve("absent.json")).load()).isNull();
    }
}
