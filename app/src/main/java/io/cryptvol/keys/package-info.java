/**
 * Key handling on the user's machine: the key store (one 0600 file per key in a 0700 directory, random bytes
 * from {@link java.security.SecureRandom}), verified backups, the ledger of every transient place key bytes
 * were written (tmpfs files on a target, temp files here) and shredding. Key bytes never appear in messages,
 * {@code toString}, logs or the metadata; callers zero the arrays they are given.
 *
 * <ul>
 *   <li>{@link io.cryptvol.keys.KeyStore}: generate, import, read, list, backup, verify, retire.</li>
 *   <li>{@link io.cryptvol.keys.KeyLedger}: record → markShredded → outstanding, persisted as JSON.</li>
 *   <li>{@link io.cryptvol.keys.KeySource}: what a plan runner asks for the bytes of a {@code KeyRef}.</li>
 *   <li>{@link io.cryptvol.keys.LedgerShredder}: scrubs what the ledger lists as outstanding. A key file on a
 *       target's tmpfs is a plan step's business ({@code StagePlanner.addKey}, run by {@code exec.PlanRunner},
 *       which records it here before it is written and shreds it after).</li>
 * </ul>
 * No Spring, AWS or SSH imports here: the shell wires it (see {@code shell/KeysConfig}).
 */
package io.cryptvol.keys;
