package io.cryptvol.keys;

import java.time.Instant;

/**
 * Where an imported key came from (metadata only): the source file as given, its mode and owner when it was
 * read, and whether the source was shredded afterwards. Generated keys have none.
 *
 * @param path           the source file's absolute path (shown escaped: it came from the user)
 * @param mode           its permissions when it was read, e.g. "rw-r--r--"
 * @param owner          its owner when it was read
 * @param imported       when it was imported
 * @param sourceShredded true once the source was shredded and checked to be gone
 */
public record Provenance(String path, String mode, String owner, Instant imported, boolean sourceShredded) {

    public Provenance withSourceShredded() {
        return new Provenance(path, mode, owner, imported, true);
    }
}
