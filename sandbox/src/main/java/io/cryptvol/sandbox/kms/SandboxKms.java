package io.cryptvol.sandbox.kms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.cryptvol.sandbox.api.SandboxService;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sandbox's KMS (JSON 1.1 protocol, {@code X-Amz-Target: TrentService.*}), served on the sandbox endpoint for
 * requests signed for {@code kms}: CreateKey, DescribeKey, GenerateDataKey, Encrypt and Decrypt, as KMS documents
 * them for symmetric keys.
 *
 * <p>A ciphertext blob binds its key id and the encryption context: it is AES-GCM under the key's own material with
 * the key id and the canonical context as associated data, so a Decrypt with another context (or a blob changed by
 * one bit) answers {@code InvalidCiphertextException}, as KMS does. Unknown key ids and aliases answer
 * {@code NotFoundException}; a disabled key {@code DisabledException}. Who may use a key is decided per caller: the
 * access key id of the request's SigV4 credential, mapped to a role by {@link #issueRoleCredentials} (what the
 * instance metadata hands out); {@link #deny(String)} makes KMS answer {@code AccessDeniedException} to a role, or
 * to everyone with {@link #ALL}. {@link #requests()} keeps every request body (for leak scans: key bytes must never
 * reach KMS in a request).
 */
public final class SandboxKms implements SandboxService {
    /** {@link #deny(String)} for every caller. */
    public static final String ALL = "*";
    private static final String ACCOUNT = "123456789012";
    private static final String MAGIC = "CVK1";
    private static final String INVALID_CIPHERTEXT = "The ciphertext refers to a customer master key that does not exist,"
            + " does not exist in this region, or you are not allowed to access, or the encryption context does not match.";
    private static final Pattern AKID = Pattern.compile("Credential=([^/,\\s]+)/");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as KMS received it: the operation, the caller's role (or access key id), the body. */
    public record Request(String operation, String caller, String body) {
    }

    private record Key(String id, String region, byte[] material, String description, boolean enabled) {
        String arn() {
            return "arn:aws:kms:" + region + ":" + ACCOUNT + ":key/" + id;
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Key> keys = new ConcurrentHashMap<>();
    private final Map<String, String> aliases = new ConcurrentHashMap<>();
    private final Map<String, String> roleOfAccessKey = new ConcurrentHashMap<>();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<byte[]> dataKeys = Collections.synchronizedList(new ArrayList<>());

    @Override
    public String signingName() {
        return "kms";
    }

    /** A new enabled symmetric key in {@code region} (as CreateKey), returns its key id; with an alias when not null. */
    public String createKey(String region, String alias) {
        byte[] material = new byte[32];
        random.nextBytes(material);
        String id = java.util.UUID.randomUUID().toString();
        keys.put(id, new Key(id, region, material, "", true));
        if (alias != null) {
            aliases.put(region + "/" + (alias.startsWith("alias/") ? alias : "alias/" + alias), id);
        }
        return id;
    }

    /** Disables or enables a key (Decrypt and GenerateDataKey then answer DisabledException). */
    public void enabled(String keyId, boolean enabled) {
        keys.computeIfPresent(keyId, (k, v) -> new Key(v.id, v.region, v.material, v.description, enabled));
    }

    /**
     * Role credentials as the instance metadata service hands them out: a new access key id (ASIA…) tied to
     * {@code role}, so KMS knows whose request it is. Returns {accessKeyId, secretAccessKey, sessionToken}.
     */
    public String[] issueRoleCredentials(String role) {
        byte[] r = new byte[8];
        random.nextBytes(r);
        String akid = "ASIA" + HexFormat.of().withUpperCase().formatHex(r);
        byte[] s = new byte[30];
        random.nextBytes(s);
        byte[] t = new byte[48];
        random.nextBytes(t);
        roleOfAccessKey.put(akid, role);
        return new String[] {akid, Base64.getEncoder().encodeToString(s), Base64.getEncoder().encodeToString(t)};
    }

    /** KMS answers AccessDeniedException to {@code role} (a role name, an access key id, or {@link #ALL}). */
    public void deny(String role) {
        denied.add(role);
    }

    /** Undoes {@link #deny(String)}. */
    public void allow(String role) {
        denied.remove(role);
    }

    /** Every data key GenerateDataKey handed out, oldest first: what a leak scan looks for. */
    public List<byte[]> dataKeys() {
        synchronized (dataKeys) {
            return dataKeys.stream().map(byte[]::clone).toList();
        }
    }

    /** Every request so far (operation, caller, body), oldest first. */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    @Override
    public void handle(HttpExchange ex, String region) throws IOException {
        String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        Matcher m = auth == null ? null : AKID.matcher(auth);
        String akid = m != null && m.find() ? m.group(1) : "";
        String caller = roleOfAccessKey.getOrDefault(akid, akid);
        String op = target != null && target.startsWith("TrentService.") ? target.substring("TrentService.".length()) : "";
        requests.add(new Request(op, caller, body));
        try {
            JsonNode in = body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
            if (!in.isObject()) {
                throw new KmsError(400, "SerializationException", "the request body is not a JSON object");
            }
            if (denied.contains(ALL) || denied.contains(caller) || denied.contains(akid)) {
                throw new KmsError(400, "AccessDeniedException", "User: arn:aws:sts::" + ACCOUNT + ":assumed-role/"
                        + caller + " is not authorized to perform: kms:" + op + " because no identity-based policy"
                        + " allows the kms:" + op + " action");
            }
            ObjectNode out = switch (op) {
                case "CreateKey" -> createKey(in, region);
                case "DescribeKey" -> describeKey(in, region);
                case "GenerateDataKey" -> generateDataKey(in, region);
                case "Encrypt" -> encrypt(in, region);
                case "Decrypt" -> decrypt(in, region);
                default -> throw new KmsError(400, "UnknownOperationException", "unknown operation " + target);
            };
            reply(ex, 200, out);
        } catch (KmsError e) {
            ObjectNode err = JSON.createObjectNode();
            err.put("__type", e.type);
            err.put("message", e.getMessage());
            reply(ex, e.status, err);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            ObjectNode err = JSON.createObjectNode();
            err.put("__type", "SerializationException");
            err.put("message", "malformed JSON");
            reply(ex, 400, err);
        }
    }

    private ObjectNode createKey(JsonNode in, String region) {
        String spec = in.path("KeySpec").asText("SYMMETRIC_DEFAULT");
        if (!"SYMMETRIC_DEFAULT".equals(spec)) {
            throw new KmsError(400, "UnsupportedOperationException", "the sandbox KMS makes SYMMETRIC_DEFAULT keys only");
        }
        String id = createKey(region, null);
        ObjectNode out = JSON.createObjectNode();
        out.set("KeyMetadata", metadata(keys.get(id)));
        return out;
    }

    private ObjectNode describeKey(JsonNode in, String region) {
        ObjectNode out = JSON.createObjectNode();
        out.set("KeyMetadata", metadata(key(required(in, "KeyId"), region)));
        return out;
    }

    private ObjectNode generateDataKey(JsonNode in, String region) {
        Key k = usable(key(required(in, "KeyId"), region));
        int n;
        if (in.hasNonNull("NumberOfBytes") == in.hasNonNull("KeySpec")) {
            throw new KmsError(400, "ValidationException", "give either KeySpec or NumberOfBytes");
        } else if (in.hasNonNull("NumberOfBytes")) {
            n = in.get("NumberOfBytes").asInt();
            if (n < 1 || n > 1024) {
                throw new KmsError(400, "ValidationException", "NumberOfBytes must be between 1 and 1024");
            }
        } else {
            n = switch (in.get("KeySpec").asText()) {
                case "AES_256" -> 32;
                case "AES_128" -> 16;
                default -> throw new KmsError(400, "ValidationException", "KeySpec must be AES_256 or AES_128");
            };
        }
        byte[] plain = new byte[n];
        random.nextBytes(plain);
        ObjectNode out = JSON.createObjectNode();
        out.put("KeyId", k.arn());
        out.put("Plaintext", Base64.getEncoder().encodeToString(plain));
        out.put("CiphertextBlob", Base64.getEncoder().encodeToString(seal(k, plain, context(in))));
        dataKeys.add(plain);
        return out;
    }

    private ObjectNode encrypt(JsonNode in, String region) {
        Key k = usable(key(required(in, "KeyId"), region));
        byte[] plain = base64(required(in, "Plaintext"), "Plaintext");
        if (plain.length < 1 || plain.length > 4096) {
            throw new KmsError(400, "ValidationException", "Plaintext must be 1 to 4096 bytes");
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("KeyId", k.arn());
        out.put("CiphertextBlob", Base64.getEncoder().encodeToString(seal(k, plain, context(in))));
        return out;
    }

    private ObjectNode decrypt(JsonNode in, String region) {
        byte[] blob = base64(required(in, "CiphertextBlob"), "CiphertextBlob");
        ByteBuffer b = ByteBuffer.wrap(blob);
        String id;
        byte[] iv = new byte[12];
        byte[] sealed;
        try {
            byte[] magic = new byte[4];
            b.get(magic);
            if (!MAGIC.equals(new String(magic, StandardCharsets.US_ASCII))) {
                throw new KmsError(400, "InvalidCiphertextException", INVALID_CIPHERTEXT);
            }
            byte[] idBytes = new byte[b.get() & 0xff];
            b.get(idBytes);
            id = new String(idBytes, StandardCharsets.US_ASCII);
            b.get(iv);
            sealed = new byte[b.remaining()];
            b.get(sealed);
        } catch (java.nio.BufferUnderflowException e) {
            throw new KmsError(400, "InvalidCiphertextException", INVALID_CIPHERTEXT);
        }
        Key k = keys.get(id);
        if (k == null || !k.region.equals(region)) {
            throw new KmsError(400, "InvalidCiphertextException", INVALID_CIPHERTEXT);
        }
        if (in.hasNonNull("KeyId") && !key(in.get("KeyId").asText(), region).id.equals(k.id)) {
            throw new KmsError(400, "IncorrectKeyException", "The key ID in the request does not identify a CMK"
                    + " that can perform this operation.");
        }
        usable(k);
        byte[] plain;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(k.material, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad(k, context(in)));
            plain = c.doFinal(sealed);
        } catch (GeneralSecurityException e) {
            throw new KmsError(400, "InvalidCiphertextException", INVALID_CIPHERTEXT);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("KeyId", k.arn());
        out.put("Plaintext", Base64.getEncoder().encodeToString(plain));
        out.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        java.util.Arrays.fill(plain, (byte) 0);
        return out;
    }

    private byte[] seal(Key k, byte[] plain, Map<String, String> context) {
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k.material, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad(k, context));
            byte[] sealed = c.doFinal(plain);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(MAGIC.getBytes(StandardCharsets.US_ASCII));
            byte[] id = k.id.getBytes(StandardCharsets.US_ASCII);
            out.write(id.length);
            out.writeBytes(id);
            out.writeBytes(iv);
            out.writeBytes(sealed);
            return out.toByteArray();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key id and the context in one canonical form (sorted pairs): what the ciphertext is bound to. */
    private static byte[] aad(Key k, Map<String, String> context) {
        StringBuilder sb = new StringBuilder(k.id).append('\0');
        context.forEach((name, value) -> sb.append(name).append('\0').append(value).append('\0'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> context(JsonNode in) {
        Map<String, String> ctx = new TreeMap<>();
        JsonNode c = in.path("EncryptionContext");
        if (c.isMissingNode() || c.isNull()) {
            return ctx;
        }
        if (!c.isObject()) {
            throw new KmsError(400, "ValidationException", "EncryptionContext must be a map of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new KmsError(400, "ValidationException", "EncryptionContext must be a map of strings");
            }
            ctx.put(e.getKey(), e.getValue().asText());
        }
        return ctx;
    }

    /** A key by id, ARN, alias name or alias ARN, in the request's region; NotFoundException otherwise. */
    private Key key(String ref, String region) {
        String id = ref;
        String arnPrefix = "arn:aws:kms:" + region + ":" + ACCOUNT + ":";
        if (id.startsWith(arnPrefix)) {
            id = id.substring(arnPrefix.length());
        }
        if (id.startsWith("key/")) {
            id = id.substring(4);
        }
        if (id.startsWith("alias/")) {
            String target = aliases.get(region + "/" + id);
            if (target == null) {
                throw new KmsError(400, "NotFoundException", "Alias " + arnPrefix + id + " is not found.");
            }
            id = target;
        }
        Key k = keys.get(id);
        if (k == null || !k.region.equals(region)) {
            throw new KmsError(400, "NotFoundException", "Key '" + arnPrefix + "key/" + id + "' does not exist");
        }
        return k;
    }

    private static Key usable(Key k) {
        if (!k.enabled) {
            throw new KmsError(400, "DisabledException", k.arn() + " is disabled.");
        }
        return k;
    }

    private static ObjectNode metadata(Key k) {
        ObjectNode md = JSON.createObjectNode();
        md.put("AWSAccountId", ACCOUNT);
        md.put("KeyId", k.id);
        md.put("Arn", k.arn());
        md.put("Enabled", k.enabled);
        md.put("KeyState", k.enabled ? "Enabled" : "Disabled");
        md.put("KeyUsage", "ENCRYPT_DECRYPT");
        md.put("KeySpec", "SYMMETRIC_DEFAULT");
        md.put("KeyManager", "CUSTOMER");
        md.put("Origin", "AWS_KMS");
        md.put("Description", k.description);
        md.put("CreationDate", 1.7e9);
        return md;
    }

    private static String required(JsonNode in, String field) {
        JsonNode v = in.get(field);
        if (v == null || v.isNull() || !v.isTextual() || v.asText().isEmpty()) {
            throw new KmsError(400, "ValidationException", "1 validation error detected: Value null at '"
                    + Character.toLowerCase(field.charAt(0)) + field.substring(1) + "' failed to satisfy constraint:"
                    + " Member must not be null");
        }
        return v.asText();
    }

    private static byte[] base64(String s, String field) {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new KmsError(400, "SerializationException", field + " is not base64");
        }
    }

    private static void reply(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        ex.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static final class KmsError extends RuntimeException {
        final int status;
        final String type;

        KmsError(int status, String type, String message) {
            super(message);
            this.status = status;
            this.type = type;
        }
    }
}
