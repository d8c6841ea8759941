package io.cryptvol.record;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A parsed cryptvol script: the commands to run, in order, with every variable already
 * substituted. {@code set} lines have been applied and are not part of {@link #commands()}.
 *
 * @param file     the name errors and progress refer to (as the user gave it)
 * @param commands the command lines, each with the number of the line it starts on
 * @param lines    how many lines the file has
 */
public record Script(String file, List<Line> commands, int lines) {

    public Script {
        commands = List.copyOf(commands);
    }

    /** One command: the words as the shell will see them. */
    public record Line(int number, List<Word> words) {
        public Line {
            words = List.copyOf(words);
        }

        /** The line as it would be typed; prompts show as {@code ${?name}}, never a value. */
        public String display() {
            return words.stream().map(Word::display).collect(Collectors.joining(" "));
        }

        /** Names of the secrets this line asks for at replay time. */
        public List<String> prompts() {
            return words.stream().filter(Word::isPrompt).map(Word::prompt).toList();
        }
    }

    /**
     * One word: literal text, or a prompt marker {@code ${?name}} whose value is asked for at
     * replay time (passphrases) and never written anywhere.
     */
    public record Word(String text, String prompt) {
        public static Word of(String text) {
            return new Word(text, null);
        }

        public static Word prompt(String name) {
            return new Word(null, name);
        }

        public boolean isPrompt() {
            return prompt != null;
        }

        public String display() {
            return isPrompt() ? "${?" + prompt + "}" : ScriptFormat.quote(text);
        }
    }
}
