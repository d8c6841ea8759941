package io.cryptvol.bench.bare;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.CommandScan;

/**
 * The baseline for start-up benchmarks: a bare Spring Shell application (one command, nothing
 * else of cryptvol's), run on the same JDK as cryptvol. Not a test; started by scripts/bench/startup.py.
 */
@SpringBootApplication
@CommandScan
public class BareShellApp {

    @Command
    public static class Hello {
        @Command(command = "hello", description = "Say hello.")
        public String hello() {
            return "hello";
        }
    }

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(BareShellApp.class);
        app.setDefaultProperties(java.util.Map.of(
                "spring.main.banner-mode", "off",
                "logging.threshold.console", "OFF",
                "spring.shell.interactive.enabled", String.valueOf(args.length == 0)));
        app.run(args).close();
    }
}
