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

    @Command(command = "version", description = "Show cryptvol's version and the Java runtime it runs on.")
    public String versionCommand() {
        return "cryptvol " + version() + " (Java " + Runtime.version().feature() + ")";
    }
}
