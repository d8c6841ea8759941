package io.cryptvol.sandbox.kms;

import io.cryptvol.sandbox.QemuInstance;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;

import java.nio.charset.StandardCharsets;

/**
 * Gives the test instance what an EC2 instance has for KMS: the sandbox KMS on the sandbox endpoint, an instance
 * metadata service with the role's credentials, both reached from the guest through qemu's user network, and the
 * guest's settings for them ({@code /etc/cryptvol/aws.env}, written at boot from fw_cfg by the image's rdinit):
 * {@code AWS_EC2_METADATA_SERVICE_ENDPOINT} (the AWS CLI's own variable) and {@code CRYPTVOL_KMS_ENDPOINT_URL}
 * (read by the unattended-unlock script; the Debian AWS CLI 2.9 has no per-service endpoint setting). On EC2 the
 * file is absent and the CLI uses the real ones. Call before the instance boots.
 */
public final class InstanceAws implements AutoCloseable {
    /** Where the guest reaches the instance metadata service (qemu's user network; on EC2 169.254.169.254). */
    public static final String IMDS_ADDRESS = "10.0.2.100";
    /** Where the guest reaches the sandbox endpoint (KMS). */
    public static final String ENDPOINT_ADDRESS = "10.0.2.101";
    /** The instance profile's role the sandbox instance has unless told otherwise. */
    public static final String DEFAULT_ROLE = "cryptvol-instance";

    private final SandboxKms kms;
    private final InstanceMetadataServer imds;

    private InstanceAws(SandboxKms kms, InstanceMetadataServer imds) {
        this.kms = kms;
        this.imds = imds;
    }

    /**
     * Registers a KMS on {@code endpoint} (or uses the one there), starts the instance's metadata service and sets
     * the instance's forwards and fw_cfg file.
     */
    public static InstanceAws wire(SandboxEc2Server endpoint, QemuInstance instance, String instanceId,
                                   String availabilityZone) {
        return wire(endpoint, instance, () -> instanceId, availabilityZone);
    }

    /** The same, with the instance id known only once the instance booted. */
    public static InstanceAws wire(SandboxEc2Server endpoint, QemuInstance instance,
                                   java.util.function.Supplier<String> instanceId, String availabilityZone) {
        SandboxKms kms = endpoint.service("kms").map(SandboxKms.class::cast).orElseGet(() -> {
            SandboxKms k = new SandboxKms();
            endpoint.addService(k);
            return k;
        });
        InstanceMetadataServer imds = new InstanceMetadataServer(kms, instanceId, availabilityZone, DEFAULT_ROLE).start();
        instance.forwardToHost(IMDS_ADDRESS, 80, imds.port());
        instance.forwardToHost(ENDPOINT_ADDRESS, 80, endpoint.port());
        instance.firmwareFile("aws_env", ("AWS_EC2_METADATA_SERVICE_ENDPOINT=http://" + IMDS_ADDRESS + "/\n"
                + "CRYPTVOL_KMS_ENDPOINT_URL=http://" + ENDPOINT_ADDRESS + "/\n"
                // the emulated instance (TCG, a shared CI machine) starts the AWS CLI far slower than EC2 does
                + "CRYPTVOL_KMS_TIMEOUT=400\nCRYPTVOL_UNLOCK_DEVICE_WAIT=120\n").getBytes(StandardCharsets.US_ASCII));
        return new InstanceAws(kms, imds);
    }

    public SandboxKms kms() {
        return kms;
    }

    public InstanceMetadataServer metadata() {
        return imds;
    }

    @Override
    public void close() {
        imds.close();
    }
}
