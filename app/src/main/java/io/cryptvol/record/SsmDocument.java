package io.cryptvol.record;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recorded script as an SSM Command document (schema 2.2, one {@code aws:runShellScript} step), for Run Command
 * or a State Manager association. The step writes the script (verbatim, in a quoted here-document) to a private
 * temporary directory on the instance and runs {@code cryptvol replay} there with {@code --yes} and
 * {@code --var target=local}: cryptvol must be installed on the instance. Each variable of the script
 * ({@code set NAME=VALUE} and every {@code ${NAME…}}) is a document parameter; SSM substitutes parameters into the
 * shell text, so each one is held to an {@code allowedPattern} of the characters a script word may hold unquoted,
 * and SSM refuses any other value before the command is sent. Scripts that ask for a secret ({@code ${?name}}) are
 * refused: a document runs with nobody at a terminal.
 */
public final class SsmDocument {
    public static final String ALLOWED = "^[A-Za-z0-9_@%+=:,./-]*$";
    private static final Pattern DOC_NAME = Pattern.compile("^[A-Za-z0-9_.-]{3,128}$");
    private static final Pattern REF = Pattern.compile("\\$\\{([=?]?)([A-Za-z_][A-Za-z0-9_]*)(:[-+])?");
    private static final Pattern SET = Pattern.compile("^\\s*set\\s+([A-Za-z_][A-Za-z0-9_]*)=(.*?)\\s*$");
    private static final String EOF_MARK = "CRYPTVOL_SCRIPT_EOF";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SsmDocument() {
    }

    /** Checks a document name as SSM does (3–128 of A-Z a-z 0-9 _ - .; not AWS's reserved prefixes). */
    public static void checkName(String name) {
        if (name == null || !DOC_NAME.matcher(name).matches()) {
            throw new CryptvolException("not an SSM document name: '" + io.cryptvol.domain.ControlChars.escape(String.valueOf(name))
                    + "' (3 to 128 of A-Z a-z 0-9 _ - .)", ExitCode.USAGE, null);
        }
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("aws") || lower.startsWith("amazon") || lower.startsWith("amzn")) {
            throw new CryptvolException("SSM document names may not start with aws, amazon or amzn: '" + name + "'",
                    ExitCode.USAGE, null);
        }
    }

    /** The document's JSON. {@code file} is the script's name (for messages and the description). */
    public static String of(String name, String file, String text) {
        checkName(name);
        ScriptFormat.checkSyntax(file, text);
        if (text.lines().anyMatch(l -> l.equals(EOF_MARK))) {
            throw new CryptvolException(file + " has a line '" + EOF_MARK + "', which ends the document's copy of it",
                    ExitCode.USAGE, null);
        }
        Map<String, String> defaults = new LinkedHashMap<>();
        Map<String, Boolean> optional = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher s = SET.matcher(lines[i]);
            if (s.matches()) {
                defaults.put(s.group(1), unquote(s.group(2)));
            }
            Matcher m = REF.matcher(lines[i]);
            while (m.find()) {
                if ("?".equals(m.group(1))) {
                    throw new CryptvolException(file + ":" + (i + 1) + " asks for a secret (${?" + m.group(2) + "}) at a terminal;"
                            + " an SSM document runs unattended: put the secret in the key store instead", ExitCode.USAGE, null);
                }
                optional.merge(m.group(2), m.group(3) != null, (a, b) -> a && b);
            }
        }
        defaults.keySet().forEach(k -> optional.putIfAbsent(k, true));
        defaults.remove("target");
        optional.remove("target");

        ObjectNode doc = JSON.createObjectNode();
        doc.put("schemaVersion", "2.2");
        doc.put("description", "cryptvol script " + file + ": cryptvol replay on the instance itself (cryptvol must be installed there)");
        ObjectNode params = doc.putObject("parameters");
        ObjectNode bin = params.putObject("cryptvol");
        bin.put("type", "String");
        bin.put("description", "the cryptvol command on the instance");
        bin.put("default", "cryptvol");
        bin.put("allowedPattern", ALLOWED);
        for (Map.Entry<String, Boolean> v : optional.entrySet()) {
            ObjectNode p = params.putObject(v.getKey());
            p.put("type", "String");
            p.put("description", "${" + v.getKey() + "} in " + file);
            String d = defaults.get(v.getKey());
            if (d != null && !d.matches(ALLOWED)) {
                throw new CryptvolException("the default of " + v.getKey() + " in " + file + " has characters an SSM parameter"
                        + " of this document may not hold (allowed: A-Z a-z 0-9 _ @ % + = : , . / -)", ExitCode.USAGE, null);
            }
            if (d != null || v.getValue()) {
                p.put("default", d == null ? "" : d);
            }
            p.put("allowedPattern", ALLOWED);
        }
        ArrayNode run = JSON.createArrayNode();
        run.add("set -eu");
        run.add("umask 077");
        run.add("d=$(mktemp -d)");
        run.add("trap 'rm -rf \"$d\"' EXIT");
        run.add("cat > \"$d/script.cvsh\" <<'" + EOF_MARK + "'");
        for (String l : (text.endsWith("\n") ? text.substring(0, text.length() - 1) : text).split("\n", -1)) {
            run.add(l);
        }
        run.add(EOF_MARK);
        run.add("set -- --var target=local");
        for (String v : optional.keySet()) {
            run.add("if [ -n '{{ " + v + " }}' ]; then set -- \"$@\" --var '" + v + "={{ " + v + " }}'; fi");
        }
        run.add("'{{ cryptvol }}' replay \"$d/script.cvsh\" --yes \"$@\"");
        ObjectNode step = doc.putArray("mainSteps").addObject();
        step.put("action", "aws:runShellScript");
        step.put("name", "cryptvolReplay");
        ObjectNode inputs = step.putObject("inputs");
        inputs.put("timeoutSeconds", "7200");
        inputs.set("runCommand", run);
        try {
            return JSON.writeValueAsString(doc) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && (v.startsWith("'") && v.endsWith("'") || v.startsWith("\"") && v.endsWith("\""))) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    /** Names of the document's parameters (for tests and messages). */
    static List<String> parameters(String json) throws java.io.IOException {
        List<String> out = new java.util.ArrayList<>();
        JSON.readTree(json).path("parameters").fieldNames().forEachRemaining(out::add);
        return out;
    }
}
