package io.cryptvol.sandbox.ssm;

import java.time.Duration;

/**
 * The SSM agent of one managed instance, as the sandbox's SSM service drives it: it runs the commands of an
 * AWS-RunShellScript invocation (joined by newlines into one script, run by {@code sh}, as the real agent does)
 * as root on its instance and hands back what they printed. {@link SshAgent} runs them in the test instance;
 * {@link LocalAgent} runs them on this machine (unit tests of the SSM protocol path, no guest).
 */
public interface SsmAgent extends AutoCloseable {

    /** What one invocation's script did. {@code timedOut}: it was ended after its execution timeout. */
    record Outcome(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut) {
    }

    /**
     * Runs a script to its end or its timeout. An exception means the agent could not run it at all (the
     * invocation fails as Undeliverable would).
     */
    Outcome run(String commandId, String script, Duration timeout) throws Exception;

    /** What DescribeInstanceInformation shows as PlatformName / ComputerName. */
    default String computerName() {
        return "sandbox";
    }

    @Override
    default void close() {
    }
}
