package io.cryptvol.sandbox;

import io.cryptvol.CryptvolException;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The sandbox: the qemu test instance (a real Linux kernel with lvm2, cryptsetup and XFS, reached
 * over SSH) plus a local EC2-compatible endpoint wired to it, so that creating and attaching an
 * "EBS volume" hot-plugs a disk into the instance. Everything runs on this machine; nothing
 * touches AWS or a real host. Lives as long as the shell session (or until {@link #stop()}).
 */
public final class Sandbox implements AutoCloseable {
    public static final String AZ = "us-east-1a";

    /** What a running sandbox offers, for the status command and the session wiring. */
    public record Status(boolean running, String instanceId, String availabilityZone, URI ec2Endpoint,
                         String sshHost, int sshPort, Path identityFile, Path knownHostsFile,
                         Duration bootTime, List<String> attachedSerials, Path dataDir) {
    }

    private final Path buildScript;
    private final Path dataDir;
    private TestInstance instance;
    private SandboxEc2Server ec2;
    private String instanceId;

    /**
     * @param buildScript the test instance's image build script (scripts/testvm/build.sh)
     * @param dataDir     where volume and snapshot images live (sparse files)
     */
    public Sandbox(Path buildScript, Path dataDir) {
        this.buildScript = buildScript;
        this.dataDir = dataDir;
    }

    public synchronized boolean running() {
        return instance != null && instance.isRunning();
    }

    /** Builds the image (first time), boots the instance, starts the EC2 endpoint. */
    public synchronized Status start() {
        if (running()) {
            return status();
        }
        if (!Files.isRegularFile(buildScript)) {
            throw new CryptvolException("the sandbox needs " + buildScript + " (run cryptvol from its repository)");
        }
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new CryptvolException("cannot create " + dataDir + ": " + e.getMessage(), e);
        }
        TestInstance vm = new TestInstance(TestInstance.Options.defaults().withBuildScript(buildScript)
                .withWorkDir(dataDir.resolve("instance")));
        try {
            vm.start();
            SandboxEc2Server server = SandboxEc2Server.builder().dataDir(dataDir.resolve("ec2")).build().start();
            byte[] r = new byte[8];
            new java.security.SecureRandom().nextBytes(r);
            instanceId = "i-0" + java.util.HexFormat.of().formatHex(r);
            server.addInstance(instanceId, AZ, vm, true);
            instance = vm;
            ec2 = server;
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
        return status();
    }

    public synchronized Status status() {
        if (!running()) {
            return new Status(false, null, null, null, null, 0, null, null, null, List.of(), dataDir);
        }
        return new Status(true, instanceId, AZ, ec2.endpoint(), instance.sshHost(), instance.sshPort(),
                instance.identityFile(), instance.knownHostsFile(), instance.bootTime(), instance.attachedSerials(),
                dataDir);
    }

    /** The EC2 endpoint (for fault injection and inspection). */
    public synchronized SandboxEc2Server ec2() {
        return ec2;
    }

    public synchronized TestInstance instance() {
        return instance;
    }

    /** Stops the instance and the endpoint; volume images stay until {@link #reset()}. */
    public synchronized void stop() {
        if (ec2 != null) {
            ec2.close();
            ec2 = null;
        }
        if (instance != null) {
            instance.close();
            instance = null;
        }
        instanceId = null;
    }

    /** Stops, deletes every volume and snapshot image, starts afresh. */
    public synchronized Status reset() {
        stop();
        deleteTree(dataDir);
        return start();
    }

    @Override
    public void close() {
        stop();
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new CryptvolException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
