package io.cryptvol;

import io.cryptvol.shell.CommandLineCompletion;
import io.cryptvol.shell.ErrorHandling;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.shell.command.annotation.CommandScan;

import java.util.ArrayList;
import java.util.List;

/**
 * Entry point. Without arguments: the interactive shell. With arguments: one command,
 * non-interactively, with a meaningful exit code (0 ok, 1 failure, 2 usage error).
 * Global flags: {@code --sandbox} (work on the local sandbox), {@code --debug} (stack traces),
 * {@code --no-color}, {@code --help}, {@code --version},
 * {@code --profile P}, {@code --region R}, {@code --endpoint URL} (AWS settings for EBS commands).
 */
@SpringBootApplication(proxyBeanMethods = false, exclude = {
        // start-up: auto-configurations whose beans cryptvol never uses (no AOP, bean validation, Jackson bean,
        // SSL bundles, task executors or schedulers, Netty, Reactor, SQL, build info, availability probes)
        org.springframework.boot.autoconfigure.aop.AopAutoConfiguration.class,
        org.springframework.boot.autoconfigure.validation.ValidationAutoConfiguration.class,
        org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration.class,
        org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration.class,
        org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration.class,
        org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration.class,
        org.springframework.boot.autoconfigure.netty.NettyAutoConfiguration.class,
        org.springframework.boot.autoconfigure.reactor.ReactorAutoConfiguration.class,
        org.springframework.boot.autoconfigure.sql.init.SqlInitializationAutoConfiguration.class,
        org.springframework.boot.autoconfigure.info.ProjectInfoAutoConfiguration.class,
        org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration.class})
@CommandScan
public class CryptvolApplication {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the shell and returns the process exit code. */
    public static int run(String[] rawArgs) {
        return run(rawArgs, new Class<?>[0]);
    }

    /**
     * {@link #run(String[])} with more configuration classes: tests run one-command mode in-process with a
     * fixture host and a terminal they read.
     */
    public static int run(String[] rawArgs, Class<?>... extraSources) {
        // jline-terminal-jansi is deprecated upstream but still what we ship; keep its warning off the console
        System.setProperty("org.jline.terminal.disableDeprecatedProviderWarning", "true");
        if (rawArgs.length > 0 && CommandLineCompletion.COMMAND.equals(rawArgs[0])) {
            return complete(List.of(rawArgs).subList(1, rawArgs.length));
        }
        List<String> args = globalFlags(rawArgs);
        if (args.equals(List.of("version"))) {
            // answered without starting the shell: scripts that check the version should not pay for Spring
            System.out.println(io.cryptvol.shell.VersionCommand.line());
            return 0;
        }
        Class<?>[] sources = new Class<?>[extraSources.length + 1];
        sources[0] = CryptvolApplication.class;
        System.arraycopy(extraSources, 0, sources, 1, extraSources.length);
        SpringApplication app = new SpringApplication(sources);
        java.util.Map<String, Object> defaults = new java.util.HashMap<>();
        java.nio.file.Path state = io.cryptvol.session.Dirs.ensurePrivateDir(io.cryptvol.session.Dirs.state());
        logDefaults(defaults, state);
        java.nio.file.Path history = state.resolve("history");
        try {
            io.cryptvol.session.Dirs.ensurePrivateFile(history); // JLine appends with the umask's mode otherwise
        } catch (java.io.IOException e) {
            System.err.println("warning: " + e.getMessage());
        }
        defaults.put("spring.shell.history.name", history.toString());
        // no arguments: the interactive shell; arguments: one command, then exit
        defaults.put("spring.shell.interactive.enabled", String.valueOf(args.isEmpty()));
        if (!args.isEmpty()) {
            // one command from a script or a pipe: no terminal is expected, so JLine's "dumb terminal" warning is noise
            defaults.put("logging.level.org.jline", "ERROR");
        }
        app.setDefaultProperties(defaults);
        try {
            app.run(args.toArray(new String[0])).close();
            return 0;
        } catch (Throwable t) {
            int code = io.cryptvol.ui.ErrorMessages.exitCode(t);
            if (!alreadyReported(t)) {
                System.err.print(io.cryptvol.ui.ErrorMessages.render(t));
            }
            return code == 0 ? 1 : code;
        }
    }

    /**
     * The hidden {@code __complete WORD... CURRENT} entry of the shell completion scripts: prints the
     * candidates, one per line. Runs no shell (the words never reach Spring Shell's option parser, which
     * would reject them) and prints nothing else; any failure just means no candidates.
     */
    static int complete(List<String> words) {
        SpringApplication app = new SpringApplication(CryptvolApplication.class);
        java.util.Map<String, Object> defaults = new java.util.HashMap<>();
        logDefaults(defaults, io.cryptvol.session.Dirs.state());
        defaults.put("spring.shell.history.enabled", "false");
        defaults.put("spring.shell.interactive.enabled", "false");
        defaults.put("spring.shell.noninteractive.enabled", "false");
        app.setDefaultProperties(defaults);
        try (var ctx = app.run()) {
            ctx.getBean(CommandLineCompletion.class).complete(words).forEach(System.out::println);
            return 0;
        } catch (RuntimeException e) {
            return 1;
        }
    }

    /**
     * The log (logback-spring.xml: 0600, size-capped, rolled): in the state directory. A failed
     * command was told to the user in one line already: the log gets no stack trace of it unless
     * {@code --debug}, and Spring Boot's own "Application run failed" report is off.
     */
    static void logDefaults(java.util.Map<String, Object> defaults, java.nio.file.Path state) {
        defaults.put("logging.file.name", state.resolve("cryptvol.log").toString());
        defaults.put("spring.main.log-startup-info", "false");
        if (!io.cryptvol.ui.ErrorMessages.debug()) {
            defaults.put("logging.exception-conversion-word", "%nopex");
            defaults.put("logging.level.org.springframework.boot.SpringApplication", "OFF");
        }
    }

    /** Exceptions resolved by {@link ErrorHandling} were printed already; the shell rethrows them for the exit code. */
    private static boolean alreadyReported(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getClass().getName().endsWith("ShellExitCodeException") || c instanceof org.springframework.shell.CommandNotFound
                    || c instanceof org.springframework.shell.command.CommandExecution.CommandParserExceptionsException) {
                return true;
            }
        }
        return false;
    }

    static List<String> globalFlags(String[] raw) {
        List<String> out = new ArrayList<>();
        boolean commandSeen = false;
        for (int i = 0; i < raw.length; i++) {
            String a = raw[i];
            if (!commandSeen) {
                String awsProperty = switch (a) {
                    case "--profile" -> "cryptvol.aws.profile";
                    case "--region" -> "cryptvol.aws.region";
                    case "--endpoint" -> "cryptvol.aws.endpoint";
                    default -> null;
                };
                if (awsProperty != null && i + 1 < raw.length) {
                    System.setProperty(awsProperty, raw[++i]);
                    continue;
                }
                switch (a) {
                    case "--debug" -> {
                        System.setProperty("cryptvol.debug", "true");
                        continue;
                    }
                    case "--sandbox" -> {
                        System.setProperty("cryptvol.sandbox", "true");
                        continue;
                    }
                    case "--no-color" -> {
                        System.setProperty("cryptvol.color", "never");
                        continue;
                    }
                    case "--help", "-h" -> {
                        out.add("help");
                        commandSeen = true;
                        continue;
                    }
                    case "--version", "-V" -> {
                        out.add("version");
                        commandSeen = true;
                        continue;
                    }
                    default -> {
                    }
                }
            }
            commandSeen = true;
            out.add(a);
        }
        return out;
    }
}
