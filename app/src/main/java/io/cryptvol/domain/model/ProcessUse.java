package io.cryptvol.domain.model;

/** A process that uses files on a mounted filesystem ({@code fuser -vm}). */
public record ProcessUse(String user, long pid, String access, String command) {

    public String describe() {
        return command + "(" + pid + ")";
    }
}
