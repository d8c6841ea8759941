package io.cryptvol.bench;

import io.cryptvol.aws.AwsSettings;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.AwsClients;
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
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path dir = Files.createTempDirectory("cryptvol-bench");
        try (SandboxEc2Server server = SandboxEc2Server.builder().dataDir(dir)
                .timings(SandboxTimings.uniform(Duration.ofMillis(300))).build().start();
             AwsClients clients = new AwsClients(AwsSettings.sandbox(server.endpoint()))) {
            server.faults().latency(Duration.ofMillis(300));
            EbsGateway ebs = new EbsGateway(clients, EbsOptions.sandbox().withPollInterval(Duration.ofMillis(250)));
            run(server, ebs, 1); // warm-up
            java.util.List<Double> ones = new java.util.ArrayList<>();
            java.util.List<Double> eights = new java.util.ArrayList<>();
            java.util.List<Double> ratios = new java.util.ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                double one = run(server, ebs, 1);
                double eight = run(server, ebs, 8);
                ones.add(one);
                eights.add(eight);
                ratios.add(eight / one);
            }
            double ratio = BenchOut.median(ratios);
            BenchOut out = new BenchOut("create-attach");
            out.figure("create+attach 8 volumes (300 ms/call)", "ms", BenchOut.median(eights), "1 volume",
                    BenchOut.median(ones), ratio, "<= 1.5x", ratio <= 1.5, rounds,
                    "sandbox endpoint, gateway level, 300 ms injected per call");
            out.write();
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
