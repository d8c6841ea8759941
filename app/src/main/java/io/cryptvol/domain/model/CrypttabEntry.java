package io.cryptvol.domain.model;

import java.util.List;

/** One /etc/crypttab line: mapping name, device, key file ("none" = ask), options. */
public record CrypttabEntry(String name, String device, String keyFile, List<String> options) {

    public CrypttabEntry {
        keyFile = keyFile == null || keyFile.isBlank() ? "none" : keyFile;
        options = options == null ? List.of() : List.copyOf(options);
    }

    public String line() {
        return name + " " + device + " " + keyFile + (options.isEmpty() ? "" : " " + String.join(",", options));
    }
}
