package io.cryptvol.shell;

/**
 * What the product knows of the sandbox without loading its classes: they ship in a jar of their own
 * (module {@code sandbox/}), which {@code scripts/cryptvol} puts on the class path. Without it the product
 * starts as usual, and every way into the sandbox ({@code sandbox …}, {@code --sandbox},
 * {@code replay --rehearse}) fails with {@link #MISSING}. {@link SandboxConfig} gives the real one,
 * {@link SandboxAbsentConfig} the one of a product without the sandbox.
 */
public interface SandboxPresence {

    /** The one line for a way into the sandbox when its jar is absent. */
    String MISSING = "the sandbox is not installed: cryptvol-sandbox.jar is not on the class path "
            + "(scripts/cryptvol puts it there when it sits next to cryptvol.jar)";

    /** The class whose presence says the sandbox jar is on the class path. */
    String MARKER_CLASS = "io.cryptvol.sandbox.Sandbox";

    /** Whether the sandbox's classes are present. */
    boolean installed();

    /** Whether the sandbox runs (always false when it is not installed). */
    boolean running();
}
