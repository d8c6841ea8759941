package io.cryptvol.shell;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;

/**
 * {@code sandbox start|status|reboot|stop|reset} in a product without the sandbox jar: each says
 * {@link SandboxPresence#MISSING} and fails. The same commands as {@link SandboxCommands}, which is there instead
 * when the jar is.
 */
@Command(command = "sandbox", group = "Sandbox")
@ConditionalOnMissingClass(SandboxPresence.MARKER_CLASS)
public class SandboxAbsentCommands {

    @Command(command = "start", description = "Boot the sandbox (needs cryptvol-sandbox.jar, which is not installed).")
    public void start() {
        throw SandboxAbsentConfig.missing();
    }

    @Command(command = "status", description = "Show the sandbox (needs cryptvol-sandbox.jar, which is not installed).")
    public void status(@Option(longNames = "output", shortNames = 'o', defaultValue = "table") String output) {
        throw SandboxAbsentConfig.missing();
    }

    @Command(command = "reboot", description = "Reboot the sandbox instance (needs cryptvol-sandbox.jar, which is not installed).")
    public void reboot() {
        throw SandboxAbsentConfig.missing();
    }

    @Command(command = "stop", description = "Stop the sandbox (needs cryptvol-sandbox.jar, which is not installed).")
    public void stop() {
        throw SandboxAbsentConfig.missing();
    }

    @Command(command = "reset", description = "Reset the sandbox (needs cryptvol-sandbox.jar, which is not installed).")
    public void reset(@Option(longNames = "yes", shortNames = 'y') boolean yes) {
        throw SandboxAbsentConfig.missing();
    }
}
