package io.cryptvol.sandbox;

import io.cryptvol.CryptvolException;
import io.cryptvol.sandbox.ec2.Ec2StateFile;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ssm.SandboxSsmService;
import io.cryptvol.sandbox.ssm.SshAgent;

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
    private QemuInstance instance;
    private SandboxEc2Server ec2;
    private String instanceId;
    /** KMS and the instance's metadata service (#18), on the same endpoint and reached from the guest. */
    private io.cryptvol.sandbox.kms.InstanceAws aws;
    private SandboxSsmService ssm;
    private io.cryptvol.sandbox.s3.SandboxS3Service s3;
    private final List<QemuInstance> fleet = new java.util.ArrayList<>();

    /** A sandbox whose instance is built by the recipe this jar ships ({@link ImageRecipe}). */
    public Sandbox(Path dataDir) {
        this(null, dataDir);
    }

    /**
     * @param buildScript the test instance's image build script; null: the recipe this jar ships
     * @param dataDir     where volume and snapshot images live (sparse files)
     */
    public Sandbox(Path buildScript, Path dataDir) {
        this.buildScript = buildScript;
        this.dataDir = dataDir;
    }

    /** Where the sandbox keeps everything (images, its EC2 world, the instance's keys). */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Whether the sandbox runs: its endpoint and its instance's machine. The instance itself may be stopped
     * in EC2's terms (StopInstances, a poweroff typed on it): see {@link #instanceState()}.
     */
    public synchronized boolean running() {
        return ec2 != null && instance != null;
    }

    /** The sandbox instance's EC2 state (pending, running, stopping, stopped), or null when the sandbox is not running. */
    public synchronized String instanceState() {
        return running() ? ec2.instanceStateName(instanceId) : null;
    }

    /**
     * Builds the image (first time), starts the EC2 endpoint on the saved world, boots the instance. The
     * sandbox's instance is the one the world already has (same id, its volumes plugged in again, as after
     * a StartInstances); a new world gets a new instance with an 8 GiB root volume.
     */
    public synchronized Status start() {
        if (running()) {
            if ("stopped".equals(ec2.instanceStateName(instanceId))) {
                ec2.startInstance(instanceId, POWER_TIMEOUT); // stopped through EC2 or from the guest: StartInstances
            }
            return status();
        }
        if (buildScript != null && !Files.isRegularFile(buildScript)) {
            throw new CryptvolException("the sandbox's image build script " + buildScript + " is not there");
        }
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new CryptvolException("cannot create " + dataDir + ": " + e.getMessage(), e);
        }
        SandboxEc2Server server = startEndpoint();
        QemuInstance vm = new QemuInstance(QemuInstance.Options.defaults().withBuildScript(buildScript)
                .withWorkDir(dataDir.resolve("instance")));
        aws = io.cryptvol.sandbox.kms.InstanceAws.wire(server, vm, () -> instanceId, AZ);
        try {
            List<String> known = server.instanceIds();
            if (!known.isEmpty()) {
                // as StartInstances: the instance boots with its volumes where the machine can take them before
                // its first boot; else they are hot-plugged once it answers (instanceBooted)
                server.bindInstance(known.get(0), vm);
                server.plugAttachedBeforeBoot(known.get(0));
            }
            vm.start();
            if (known.isEmpty()) {
                byte[] r = new byte[8];
                new java.security.SecureRandom().nextBytes(r);
                instanceId = "i-0" + java.util.HexFormat.of().formatHex(r);
                server.addInstance(instanceId, AZ, vm, true);
            } else {
                instanceId = known.get(0);
                server.instanceBooted(instanceId, POWER_TIMEOUT);
            }
            instance = vm;
            ec2 = server;
            ssm = new SandboxSsmService(dataDir.resolve("ssm")); // Run Command on the instance, as its SSM agent
            ssm.outputsTo(s3::putAsInstance); // S3 output of Run Command lands in the sandbox's S3
            server.addService(ssm.manage(instanceId, AZ.substring(0, AZ.length() - 1), new SshAgent(instanceId, vm)));
        } catch (RuntimeException e) {
            instanceId = null;
            aws.close();
            server.close();
            vm.close();
            throw e;
        }
        return status();
    }

    private static final Duration POWER_TIMEOUT = Duration.ofMinutes(6);

    /** The endpoint on the saved world, on the port of last time when it is free (what a session pointed at goes on working). */
    private SandboxEc2Server startEndpoint() {
        Path ec2Dir = dataDir.resolve("ec2");
        Path portFile = dataDir.resolve("ec2-port");
        int port = 0;
        try {
            if (Files.isRegularFile(portFile)) {
                port = Integer.parseInt(Files.readString(portFile).trim());
            }
        } catch (IOException | NumberFormatException e) {
            port = 0;
        }
        SandboxEc2Server server;
        try {
            server = SandboxEc2Server.builder().dataDir(ec2Dir).port(port).build().start();
        } catch (IllegalStateException e) {
            if (e.getMessage() != null && e.getMessage().contains("could not listen") && port != 0) {
                server = SandboxEc2Server.builder().dataDir(ec2Dir).build().start();
            } else {
                throw new CryptvolException(e.getMessage(), e);
            }
        }
        s3 = io.cryptvol.sandbox.s3.SandboxS3Service.forSandbox(dataDir.resolve("s3"), AZ.substring(0, AZ.length() - 1));
        server.addService(s3);
        try {
            Files.writeString(portFile, server.port() + "\n");
        } catch (IOException e) {
            // the next start picks another port: no harm
        }
        return server;
    }

    /**
     * Reboots the instance as RebootInstances does (same id, same disks) and returns when it answers again;
     * the SSH port and known host key may have changed (see {@link #status()}).
     */
    public synchronized Status reboot() {
        if (!running()) {
            throw new CryptvolException("the sandbox is not running: 'sandbox start' first");
        }
        String state = ec2.instanceStateName(instanceId);
        if (!"running".equals(state)) {
            throw new CryptvolException("the sandbox instance " + instanceId + " is " + state
                    + ", not running: 'sandbox start' starts it");
        }
        ec2.rebootInstance(instanceId, POWER_TIMEOUT);
        return status();
    }

    /** The sandbox's volumes and snapshot sets: the running endpoint's, else the ones saved on disk. */
    public synchronized Ec2StateFile.World world() {
        if (ec2 != null) {
            return ec2.world();
        }
        return SandboxEc2Server.savedWorld(dataDir.resolve("ec2"));
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

    /** The sandbox's KMS and instance metadata service (null when not running). */
    public synchronized io.cryptvol.sandbox.kms.InstanceAws aws() {
        return aws;
    }

    /**
     * Boots one more instance (fleet tests), known to EC2 and managed by SSM as the first one is; its machine goes
     * with {@link #stop()} (the EC2 world keeps it, stopped, without a machine). Returns its id. The machine boots
     * outside the sandbox's lock, so the first instance can be worked on meanwhile.
     */
    public String addInstance() {
        QemuInstance vm;
        synchronized (this) {
            if (!running()) {
                throw new CryptvolException("the sandbox is not running: 'sandbox start' first");
            }
            vm = new QemuInstance(QemuInstance.Options.defaults().withBuildScript(buildScript)
                    .withWorkDir(dataDir.resolve("instance-" + (fleet.size() + 2))));
            fleet.add(vm);
        }
        vm.start();
        synchronized (this) {
            if (!running()) {
                throw new CryptvolException("the sandbox stopped while its second instance booted");
            }
            String id = ec2.addInstance(AZ, vm);
            ssm.manage(id, AZ.substring(0, AZ.length() - 1), new SshAgent(id, vm));
            return id;
        }
    }

    /** The SSM endpoint's state (history for leak scans, ping status and throttling for fault tests). */
    public synchronized SandboxSsmService ssm() {
        return ssm;
    }

    /** The S3 endpoint's state (objects the SSM agent uploaded, for leak scans). */
    public synchronized io.cryptvol.sandbox.s3.SandboxS3Service s3() {
        return s3;
    }

    public synchronized QemuInstance instance() {
        return instance;
    }

    /**
     * Stops the instance and the endpoint. The EC2 world stays on disk (instance, volumes, attachments,
     * tags, snapshots) for the next {@link #start()}; only {@link #reset()} forgets it.
     */
    public synchronized void stop() {
        if (aws != null) {
            aws.close();
            aws = null;
        }
        if (ec2 != null) {
            ec2.close();
            ec2 = null;
        }
        if (instance != null) {
            instance.close();
            instance = null;
        }
        fleet.forEach(QemuInstance::close);
        fleet.clear();
        instanceId = null;
    }

    /** Stops, forgets the EC2 world (every volume and snapshot image, the instance), starts afresh. */
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
