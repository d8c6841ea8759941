package io.cryptvol.domain.parse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.CryptvolException;

/** Small helpers over Jackson's tree model for the tools' JSON reports. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static JsonNode read(String tool, String json) {
        try {
            JsonNode n = MAPPER.readTree(json == null ? "" : json);
            if (n == null || n.isMissingNode()) {
                throw new CryptvolException(tool + " printed no JSON");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new CryptvolException(tool + " printed JSON that could not be read: " + e.getOriginalMessage());
        }
    }

    /** Text of a field; null for missing, JSON null or empty. Numbers come back as their digits. */
    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        String s = v.isNumber() ? v.asText() : v.asText().strip();
        return s.isEmpty() ? null : s;
    }

    /** A byte count given as a number or a string of digits; 0 when absent. */
    static long bytes(String tool, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (v.isIntegralNumber()) {
            return v.asLong();
        }
        String s = v.asText().strip();
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new CryptvolException(tool + ": " + field + " is not a byte count: '" + s
                    + "' (run it with --units b --nosuffix / -b)");
        }
    }
}
