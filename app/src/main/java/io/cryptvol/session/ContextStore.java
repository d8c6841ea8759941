package io.cryptvol.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Saves the session context to a small JSON file (0600) and restores it on start. Only the
 * fields listed in {@link #FIELDS} are written: names and paths, never key material. A damaged
 * or unreadable file is ignored (the session starts empty), never fatal.
 */
public class ContextStore {

    /** Everything the file may contain. */
    public static final Set<String> FIELDS = Set.of("version", "target", "user", "host", "port", "identityFile", "knownHosts",
            "instanceId", "vg", "lv", "mapping", "mountpoint");

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private volatile Path diverted;

    public ContextStore(Path file) {
        this.file = file;
    }

    /**
     * From now on saves go to {@code other} (the sandbox keeps its own context there), and the session's
     * file stays as it was; {@code null} ends that.
     */
    public void divert(Path other) {
        this.diverted = other;
    }

    public static ContextStore inConfigDir() {
        return new ContextStore(Dirs.config().resolve("context.json"));
    }

    public Path file() {
        return file;
    }

    public void save(ContextState s) {
        Path file = diverted != null ? diverted : this.file;
        ObjectNode n = JSON.createObjectNode();
        n.put("version", 1);
        Target t = s.target() == null ? Target.LOCAL : s.target();
        n.put("target", t.kind().name().toLowerCase());
        if (!t.isLocal()) {
            n.put("user", t.user());
            n.put("host", t.host());
            n.put("port", t.port());
            putIf(n, "identityFile", t.identityFile());
            putIf(n, "knownHosts", t.knownHosts());
            putIf(n, "outputS3", t.outputS3());
        }
        putIf(n, "instanceId", s.instanceId());
        putIf(n, "vg", s.vg());
        putIf(n, "lv", s.lv());
        putIf(n, "mapping", s.mapping());
        putIf(n, "mountpoint", s.mountpoint());
        try {
            Dirs.ensurePrivateDir(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".context", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // losing the remembered context is an inconvenience, not an error worth stopping for
        }
    }

    private static void putIf(ObjectNode n, String k, String v) {
        if (v != null) {
            n.put(k, v);
        }
    }

    /** The stored state, or null when there is none or it cannot be read. */
    public ContextState load() {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            Target t = Target.LOCAL;
            if ("ssh".equals(text(n, "target"))) {
                t = new Target(Target.Kind.SSH, text(n, "user"), text(n, "host"), n.path("port").asInt(22),
                        text(n, "identityFile"), text(n, "knownHosts"), null);
            } else if ("ssm".equals(text(n, "target"))) {
                t = Target.ssm(text(n, "host"), text(n, "outputS3"));
            }
            return new ContextState(t, text(n, "instanceId"), text(n, "vg"), text(n, "lv"), text(n, "mapping"),
                    text(n, "mountpoint"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String text(JsonNode n, String k) {
        JsonNode v = n.get(k);
        return v == null || v.isNull() ? null : v.asText();
    }
}
