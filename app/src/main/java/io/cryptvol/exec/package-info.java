/**
 * The one seam through which cryptvol touches a host.
 *
 * <ul>
 *   <li>{@link io.cryptvol.domain.cmd.HostCommand}: argv (never a shell string, never secrets), optional stdin
 *       (secrets only here), description, timeout, privileged, readOnly ({@code HostCommand.query}).</li>
 *   <li>{@link io.cryptvol.exec.LocalExecutor}, {@link io.cryptvol.exec.SshExecutor}: run it for real;
 *       a non-zero exit is a result, not an exception; {@link io.cryptvol.exec.HostExecutionException}
 *       means it could not run (timeout, connection lost, sudo refused, host key refused).</li>
 *   <li>{@link io.cryptvol.exec.DryRunExecutor}: records and skips host changes; read-only queries go to
 *       its (borrowed, not closed) delegate so a dry run still observes the real host.</li>
 *   <li>{@link io.cryptvol.exec.TranscribingExecutor}: decorator (owns and closes its delegate) writing every
 *       command to the {@link io.cryptvol.exec.Transcript}; {@link io.cryptvol.exec.Redactor} scrubs secrets
 *       from text shown to people.</li>
 * </ul>
 * Typical wiring: {@code new TranscribingExecutor(dryRun ? new DryRunExecutor(real) : real, Transcript.openDefault())}.
 */
package io.cryptvol.exec;
