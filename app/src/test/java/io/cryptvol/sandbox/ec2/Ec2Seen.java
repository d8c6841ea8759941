package io.cryptvol.sandbox.ec2;

import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * For tests that talk to the endpoint through the bare SDK client: EC2 is eventually consistent, so a volume or
 * snapshot just created may answer InvalidVolume.NotFound / InvalidSnapshot.NotFound for a moment (the sandbox
 * does so too, see {@link SandboxTimings#notFoundAfterCreate()}); the SDK's waiters do not retry on that.
 */
public final class Ec2Seen {
    private Ec2Seen() {
    }

    /** Returns once DescribeVolumes knows the volume (fails after 10 s). */
    public static void volume(Ec2Client ec2, String volumeId) {
        retry("InvalidVolume.NotFound", () -> ec2.describeVolumes(b -> b.volumeIds(volumeId)));
    }

    /** Returns once DescribeSnapshots knows the snapshot (fails after 10 s). */
    public static void snapshot(Ec2Client ec2, String snapshotId) {
        retry("InvalidSnapshot.NotFound", () -> ec2.describeSnapshots(b -> b.snapshotIds(snapshotId)));
    }

    /** The call's answer, asked again while it fails with {@code notFoundCode} (for at most 10 s). */
    public static <T> T retry(String notFoundCode, Supplier<T> call) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return call.get();
            } catch (Ec2Exception e) {
                if (!notFoundCode.equals(e.awsErrorDetails().errorCode()) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
