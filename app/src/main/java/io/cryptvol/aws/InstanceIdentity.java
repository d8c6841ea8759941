package io.cryptvol.aws;

/** Who this machine is, according to the instance metadata service. */
public record InstanceIdentity(String instanceId, String availabilityZone, String region) {
}
