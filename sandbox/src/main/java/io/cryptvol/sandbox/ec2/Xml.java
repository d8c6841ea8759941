package io.cryptvol.sandbox.ec2;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/** A tiny XML writer for EC2 responses. */
final class Xml {
    static final String NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private final StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

    Xml open(String tag) {
        sb.append('<').append(tag).append('>');
        return this;
    }

    Xml openNs(String tag) {
        sb.append('<').append(tag).append(" xmlns=\"").append(NS).append("\">");
        return this;
    }

    Xml close(String tag) {
        sb.append("</").append(tag).append('>');
        return this;
    }

    /** An element with text; nothing at all when the value is null. */
    Xml el(String tag, Object value) {
        if (value == null) {
            return this;
        }
        String text = value instanceof Instant i ? i.truncatedTo(ChronoUnit.MILLIS).toString() : value.toString();
        if (text.isEmpty()) {
            sb.append('<').append(tag).append("/>");
            return this;
        }
        sb.append('<').append(tag).append('>').append(escape(text)).append("</").append(tag).append('>');
        return this;
    }

    /** A tagSet, omitted when empty (as EC2 does). */
    Xml tags(Map<String, String> tags) {
        if (tags == null || tags.isEmpty()) {
            return this;
        }
        open("tagSet");
        tags.forEach((k, v) -> open("item").el("key", k).el("value", v == null ? "" : v).close("item"));
        return close("tagSet");
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
