package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.HostCommand;

/**
 * One command of a step: a HostCommand template (no stdin) and, when it reads a key on stdin, the
 * key to put there. The runner does {@code command.withSecretStdin(bytes of key)}.
 */
public record StepCommand(HostCommand command, KeyRef stdinKey) {

    public static StepCommand of(HostCommand command) {
        return new StepCommand(command, null);
    }

    public static StepCommand withKey(HostCommand command, KeyRef key) {
        return new StepCommand(command, key);
    }

    public boolean needsKey() {
        return stdinKey != null;
    }
}
