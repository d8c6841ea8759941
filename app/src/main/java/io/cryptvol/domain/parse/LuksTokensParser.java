package io.cryptvol.domain.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.domain.model.KmsToken;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tokens and key slots of a LUKS2 header, from {@code cryptsetup luksDump --dump-json-metadata}: every token by
 * number and type, the {@code cryptvol-kms} ones in full. Values are the header's (hostile): they are checked by
 * {@link KmsToken#problem} before use, and printed escaped.
 */
public final class LuksTokensParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One token: its number, type and key slots; {@code kms} when it is a cryptvol-kms token. */
    public record Token(int id, String type, List<Integer> keySlots, KmsToken kms) {
    }

    /** The header's tokens (by number) and its key slot numbers. */
    public record Metadata(List<Token> tokens, List<Integer> keySlots) {
        public List<KmsToken> kmsTokens() {
            return tokens.stream().map(Token::kms).filter(k -> k != null).toList();
        }

        /** The lowest token number not in use (LUKS2 has 32). */
        public int freeTokenId() {
            for (int i = 0; i < 32; i++) {
                final int n = i;
                if (tokens.stream().noneMatch(t -> t.id == n)) {
                    return i;
                }
            }
            return -1;
        }

        /** The lowest key slot number not in use (LUKS2 has 32). */
        public int freeKeySlot() {
            for (int i = 0; i < 32; i++) {
                if (!keySlots.contains(i)) {
                    return i;
                }
            }
            return -1;
        }
    }

    private LuksTokensParser() {
    }

    public static Metadata parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the LUKS2 metadata is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the LUKS2 metadata is not a JSON object");
        }
        List<Integer> slots = new ArrayList<>();
        for (Iterator<String> it = root.path("keyslots").fieldNames(); it.hasNext(); ) {
            Integer n = number(it.next());
            if (n != null) {
                slots.add(n);
            }
        }
        slots.sort(null);
        List<Token> tokens = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("tokens").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Integer id = number(e.getKey());
            if (id == null) {
                continue;
            }
            JsonNode t = e.getValue();
            List<Integer> ks = new ArrayList<>();
            t.path("keyslots").forEach(s -> {
                Integer n = number(s.asText());
                if (n != null) {
                    ks.add(n);
                }
            });
            String type = t.path("type").asText("");
            KmsToken kms = null;
            if (KmsToken.TYPE.equals(type)) {
                Map<String, String> ctx = new TreeMap<>();
                t.path("kms_context").fields().forEachRemaining(c -> ctx.put(c.getKey(), c.getValue().asText()));
                kms = new KmsToken(id, ks.isEmpty() ? -1 : ks.get(0), t.path("kms_key_id").asText(null),
                        t.path("kms_region").asText(null), t.path("kms_ciphertext").asText(null), ctx);
            }
            tokens.add(new Token(id, type, ks, kms));
        }
        tokens.sort(java.util.Comparator.comparingInt(Token::id));
        return new Metadata(tokens, slots);
    }

    private static Integer number(String s) {
        if (s == null || !s.matches("\\d{1,2}")) {
            return null;
        }
        return Integer.parseInt(s);
    }
}
