package io.cryptvol.sandbox.ec2;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The parameters of one EC2 Query request, with helpers for its N-indexed lists. */
final class QueryRequest {
    final String action;
    final String region;
    private final Map<String, String> params;

    QueryRequest(Map<String, String> params, String region) {
        this.params = params;
        this.action = params.get("Action");
        this.region = region;
    }

    static Map<String, String> parseForm(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        if (body == null || body.isEmpty()) {
            return out;
        }
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    String get(String name) {
        return params.get(name);
    }

    String required(String name) {
        String v = params.get(name);
        if (v == null || v.isEmpty()) {
            throw Ec2Error.missing(name);
        }
        return v;
    }

    boolean bool(String name, boolean dflt) {
        String v = params.get(name);
        return v == null ? dflt : Boolean.parseBoolean(v);
    }

    Integer integer(String name) {
        String v = params.get(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return Integer.valueOf(v);
        } catch (NumberFormatException e) {
            throw Ec2Error.invalid("Invalid value '" + v + "' for " + name);
        }
    }

    /** prefix.1, prefix.2, ... in index order. */
    List<String> list(String prefix) {
        TreeMap<Integer, String> byIndex = new TreeMap<>();
        String p = prefix + ".";
        params.forEach((k, v) -> {
            if (k.startsWith(p)) {
                String rest = k.substring(p.length());
                if (rest.chars().allMatch(Character::isDigit) && !rest.isEmpty()) {
                    byIndex.put(Integer.parseInt(rest), v);
                }
            }
        });
        return new ArrayList<>(byIndex.values());
    }

    /** Indices N for which some key prefix.N.* exists, in order. */
    List<Integer> indices(String prefix) {
        TreeMap<Integer, Boolean> seen = new TreeMap<>();
        String p = prefix + ".";
        for (String k : params.keySet()) {
            if (k.startsWith(p)) {
                String rest = k.substring(p.length());
                int dot = rest.indexOf('.');
                String n = dot < 0 ? rest : rest.substring(0, dot);
                if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
                    seen.put(Integer.parseInt(n), true);
                }
            }
        }
        return new ArrayList<>(seen.keySet());
    }

    /** Filter.N.Name / Filter.N.Value.M */
    Map<String, List<String>> filters() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (int n : indices("Filter")) {
            String name = params.get("Filter." + n + ".Name");
            if (name == null) {
                throw Ec2Error.missing("Filter." + n + ".Name");
            }
            out.computeIfAbsent(name, x -> new ArrayList<>()).addAll(list("Filter." + n + ".Value"));
        }
        return out;
    }

    /** Tag.N.Key / Tag.N.Value under a prefix ("" for top level). */
    Map<String, String> tags(String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        String base = prefix.isEmpty() ? "Tag" : prefix + ".Tag";
        for (int n : indices(base)) {
            String key = params.get(base + "." + n + ".Key");
            if (key == null || key.isEmpty()) {
                throw Ec2Error.missing(base + "." + n + ".Key");
            }
            if (key.toLowerCase().startsWith("aws:")) {
                throw Ec2Error.invalid("Tag keys starting with 'aws:' are reserved for internal use");
            }
            String v = params.get(base + "." + n + ".Value");
            out.put(key, v == null ? "" : v);
        }
        return out;
    }

    /** Tags of TagSpecification.N whose ResourceType is the given one. */
    Map<String, String> tagSpecifications(String resourceType) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int n : indices("TagSpecification")) {
            String type = params.get("TagSpecification." + n + ".ResourceType");
            if (type == null) {
                throw Ec2Error.missing("TagSpecification." + n + ".ResourceType");
            }
            if (!type.equals(resourceType)) {
                throw Ec2Error.invalid("'" + type + "' is not a valid taggable resource type for this operation.");
            }
            out.putAll(tags("TagSpecification." + n));
        }
        return out;
    }
}
