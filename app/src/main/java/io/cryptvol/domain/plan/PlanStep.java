package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.HostCommand;

import java.util.List;

/**
 * One numbered step: its commands run in order and stop at the first failure; then its cleanup
 * commands run ALWAYS, whether the commands succeeded or not (try/finally) — e.g. shred of a tmpfs
 * key file. Most steps are one command.
 *
 * @param replanAfter after this step the runner must observe the host again and plan the rest:
 *                    the planner could not see past it (e.g. a filesystem inside a closed mapping)
 */
public record PlanStep(StepKind kind, String title, List<StepCommand> commands, List<StepCommand> cleanup,
                       boolean replanAfter) {

    public PlanStep {
        commands = List.copyOf(commands);
        cleanup = cleanup == null ? List.of() : List.copyOf(cleanup);
        if (commands.isEmpty()) {
            throw new IllegalArgumentException("a step needs a command");
        }
    }

    public static PlanStep of(StepKind kind, HostCommand command) {
        return new PlanStep(kind, command.description(), List.of(StepCommand.of(command)), List.of(), false);
    }

    public static PlanStep withKey(StepKind kind, HostCommand command, KeyRef key) {
        return new PlanStep(kind, command.description(), List.of(StepCommand.withKey(command, key)), List.of(), false);
    }

    public PlanStep thenReplan() {
        return new PlanStep(kind, title, commands, cleanup, true);
    }

    /** The main (last) command; for single-command steps, the command. */
    public HostCommand command() {
        return commands.get(commands.size() - 1).command();
    }

    public List<KeyRef> keys() {
        return java.util.stream.Stream.concat(commands.stream(), cleanup.stream())
                .map(StepCommand::stdinKey).filter(k -> k != null).toList();
    }
}
