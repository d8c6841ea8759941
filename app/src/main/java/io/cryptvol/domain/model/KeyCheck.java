package io.cryptvol.domain.model;

/**
 * The result of {@code cryptsetup open --test-passphrase} with one named key on one device. The
 * caller runs the test and records the answer; planners only read it.
 */
public record KeyCheck(String device, String keyName, boolean opens) {
}
