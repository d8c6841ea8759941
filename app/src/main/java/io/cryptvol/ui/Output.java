package io.cryptvol.ui;

/**
 * The output contract, for code outside {@code shell/} that prints (replay, rehearsal): the result goes to
 * {@link #println}/{@link #ok}; warnings, errors and progress go with the diagnostics (stderr in one-command mode).
 * Control characters in the text are escaped by the implementation ({@code shell.Ui}), once, for whatever is printed.
 */
public interface Output {

    /** A line of the result. */
    void println(String s);

    /** "✔ " and a line of the result. */
    void ok(String s);

    /** A line of diagnostics: see the class comment. */
    void diagnostic(String s);

    void warn(String s);

    void error(String s);

    /** A progress line (a diagnostic). */
    void progress(String s);

    /** The text in bold when colour is on; as is otherwise. The same for the colours below. */
    String bold(String s);

    String dim(String s);

    String red(String s);

    String yellow(String s);

    String green(String s);
}
