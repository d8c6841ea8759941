package io.cryptvol.session;

/**
 * The one way cryptvol asks a person something: confirmations, a line, a secret, and whether anybody can
 * answer at all. {@code --yes} (and {@link SessionMode#assumeYes()}) answers confirmations; nothing answers a
 * question or a secret for the user.
 */
public interface Prompt {

    /** Whether a person can answer here: the interactive shell, or a terminal on this process's console. */
    boolean interactive();

    /**
     * True when the user agreed (or {@code assumeYes}, or the session assumes yes); false when they declined or
     * input ended. Refuses (usage error) when nobody can answer and nothing assumed yes.
     */
    boolean confirm(String question, boolean assumeYes);

    /** One line typed by the user (shown as typed); null at end of input. Refuses when nobody can answer. */
    String ask(String prompt);

    /**
     * One line typed without echo, for a passphrase; null at end of input. The caller wipes the array as soon
     * as it is used. Refuses when nobody can answer.
     */
    char[] askSecret(String prompt);

    /**
     * How long this prompt has waited for a person to answer, in all (a command's "tool time" leaves it out).
     */
    default java.time.Duration waited() {
        return java.time.Duration.ZERO;
    }
}
