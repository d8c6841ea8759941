package io.cryptvol.shell;

import io.cryptvol.CryptvolApplication;
import org.springframework.shell.command.annotation.Command;

/** {@code version} / {@code --version}. */
@Command(group = "Built-In Commands")
public class VersionCommand {

    public static String version() {
        String v = CryptvolApplication.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** What {@code version} prints (also printed by {@code cryptvol --version} without starting the shell). */
    public static String line() {
        return "cryptvol " + version() + " (Java " + Runtime.version().feature() + ")";
    }

    @Command(command = "version", description = "Show cryptvol's version and the Java runtime it runs on.")
    public String versionCommand() {
        return line();
    }
}
