package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from text shown to people (exception messages, a command's stderr): every occurrence of
 * each secret as raw text (UTF-8 or Latin-1), as hex (any letter case) and as base64 or base64url, with or
 * without padding, is replaced by {@link #MARK}. Secrets shorter than {@link #MIN_LENGTH} bytes are ignored
 * (redacting them would mangle ordinary text; key material is far longer). Fragments of a secret (say the
 * first 16 bytes of a key in hex) are not found.
 */
public final class Redactor {
    public static final String MARK = "[REDACTED]";
    public static final int MIN_LENGTH = 4;

    private final Pattern pattern;

    public Redactor(Collection<byte[]> secrets) {
        Set<String> forms = new LinkedHashSet<>();
        Set<String> hex = new LinkedHashSet<>();
        for (byte[] secret : secrets) {
            if (secret == null || secret.length < MIN_LENGTH) {
                continue;
            }
            forms.add(new String(secret, StandardCharsets.ISO_8859_1));
            utf8(secret, forms);
            hex.add(HexFormat.of().formatHex(secret));
            Base64.Encoder std = Base64.getEncoder();
            Base64.Encoder url = Base64.getUrlEncoder();
            forms.add(std.encodeToString(secret));
            forms.add(std.withoutPadding().encodeToString(secret));
            forms.add(url.encodeToString(secret));
            forms.add(url.withoutPadding().encodeToString(secret));
        }
        List<String> alternatives = new ArrayList<>();
        forms.forEach(f -> alternatives.add(Pattern.quote(f)));
        hex.forEach(h -> alternatives.add("(?i:" + Pattern.quote(h) + ")")); // hex in any letter case
        if (alternatives.isEmpty()) {
            pattern = null;
            return;
        }
        // longest first, so "abc==" is replaced whole rather than leaving "=="
        alternatives.sort(Comparator.comparingInt(String::length).reversed());
        pattern = Pattern.compile(String.join("|", alternatives));
    }

    public static Redactor of(byte[]... secrets) {
        return new Redactor(List.of(secrets));
    }

    /** A redactor for the secret stdin of this command (none when its stdin is not secret). */
    public static Redactor forCommand(HostCommand command) {
        return command.stdinSecret() && command.stdin() != null ? of(command.stdin()) : new Redactor(List.of());
    }

    public String redact(String text) {
        if (text == null || pattern == null) {
            return text;
        }
        return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(MARK));
    }

    private static void utf8(byte[] secret, Set<String> forms) {
        try {
            forms.add(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(secret)).toString());
        } catch (CharacterCodingException notText) {
            // random key bytes: cannot appear in decoded text as such
        }
    }
}
