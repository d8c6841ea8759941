package io.cryptvol.bench;

import io.cryptvol.aws.AwsSettings;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.Ec2Clients;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A figure, not a test: wall time of create + attach of 8 volumes against 1, with 300 ms added to
 * every EC2 call by the sandbox (transitions 300 ms each). Concurrency should keep the ratio near 1.
 * Run: java -cp target/classes:target/test-classes:$(cat cp.txt) io.cryptvol.bench.CreateAttachBench
 */
public final class CreateAttachBench {
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path dir = Files.createTempDirectory("cryptvol-bench");
        try (SandboxEc2Server server = SandboxEc2Server.builder().dataDir(dir)
                .timings(SandboxTimings.uniform(Duration.ofMillis(300))).build().start();
             Ec2Clients clients = new Ec2Clients(AwsSettings.sandbox(server.endpoint()))) {
            server.faults().latency(Duration.ofMillis(300));
            EbsGateway ebs = new EbsGateway(clients, EbsOptions.sandbox().withPollInterval(Duration.ofMillis(250)));
            run(server, ebs, 1); // warm-up
            double best1 = Double.MAX_VALUE;
            double best8 = Double.MAX_VALUE;
            for (int r = 0; r < rounds; r++) {
                best1 = Math.min(best1, run(server, ebs, 1));
                best8 = Math.min(best8, run(server, ebs, 8));
            }
            System.out.printf("create+attach, 300 ms per call: 1 volume %.0f ms, 8 volumes %.0f ms, ratio 8/1 = %.2f%n",
                    best1, best8, best8 / best1);
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
    }

    private static double run(SandboxEc2Server server, EbsGateway ebs, int n) {
        String instance = server.addInstance("us-east-1a", new RecordingDiskHost());
        long t0 = System.nanoTime();
        ebs.createAndAttach(instance, n, VolumeSpec.of(1, "gp3"), EbsProgress.NONE);
        return (System.nanoTime() - t0) / 1e6;
    }
}
