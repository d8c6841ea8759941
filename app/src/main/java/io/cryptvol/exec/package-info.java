/**
 * The one seam through which cryptvol touches a host.
 *
 * <ul>
 *   <li>{@link io.cryptvol.domain.cmd.HostCommand}: argv (never a shell string, never secrets), optional stdin
 *       (secrets only here), description, timeout, privileged, readOnly ({@code HostCommand.query}).</li>
 *   <li>{@link io.cryptvol.exec.LocalExecutor}, {@link io.cryptvol.exec.SshExecutor}: run it for real;
 *       a non-zero exit is a result, not an exception (a program not installed: exit 127); {@link io.cryptvol.exec.HostExecutionException}
 *       means it could not run (timeout, connection lost, sudo refused, host key refused).</li>
 *   <li>{@link io.cryptvol.exec.DryRunExecutor}: the one dry-run decorator. While the {@link io.cryptvol.exec.DryRun}
 *       switch (the session's {@code SessionMode}) is on it skips host changes and hands them to the switch;
 *       read-only queries go to its delegate so a dry run still observes the real host.</li>
 *   <li>{@link io.cryptvol.exec.PlanEngine}: observe → plan → show → confirm → run → progress, for every change,
 *       host plans and EC2 changes alike, with a replan loop; how it looks is its {@code View} (the shell's
 *       {@code PlanView}). {@link io.cryptvol.exec.PlanRunner} runs the steps.</li>
 *   <li>{@link io.cryptvol.exec.TranscribingExecutor}: decorator (owns and closes its delegate) writing every
 *       command to the {@link io.cryptvol.exec.Transcript}; {@link io.cryptvol.exec.Redactor} scrubs secrets
 *       from text shown to people.</li>
 * </ul>
 * Wiring (once, under every command): {@code new DryRunExecutor(new TranscribingExecutor(real, transcript), sessionMode)}.
 */
package io.cryptvol.exec;
