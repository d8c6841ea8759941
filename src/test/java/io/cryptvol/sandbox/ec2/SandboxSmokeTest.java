package io.cryptvol.sandbox.ec2;

import io.cryptvol.sandbox.RecordingDiskHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.*;

import java.nio.file.Path;

class SandboxSmokeTest {
    @TempDir Path dir;

    @Test
    void smoke() throws Exception {
        try (SandboxEc2Server s = SandboxEc2Server.builder().dataDir(dir).build().start();
             Ec2Client ec2 = Ec2Client.builder().endpointOverride(s.endpoint()).region(Region.US_EAST_1)
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                     .httpClient(UrlConnectionHttpClient.create()).build()) {
            RecordingDiskHost host = new RecordingDiskHost();
            String i = s.addInstance("us-east-1a", host);
            CreateVolumeResponse v = ec2.createVolume(b -> b.size(1).volumeType(VolumeType.GP3).availabilityZone("us-east-1a")
                    .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(Tag.builder().key("k").value("v").build()).build()));
            System.out.println(v);
            ec2.waiter().waitUntilVolumeAvailable(b -> b.volumeIds(v.volumeId()), c -> c.backoffStrategyV2(software.amazon.awssdk.retries.api.BackoffStrategy.fixedDelay(java.time.Duration.ofMillis(100))));
            System.out.println(ec2.attachVolume(b -> b.volumeId(v.volumeId()).instanceId(i).device("/dev/sdf")));
            Thread.sleep(500);
            System.out.println(ec2.describeVolumes(b -> b.filters(Filter.builder().name("tag:k").values("v").build())));
            System.out.println(ec2.describeInstances(b -> b.instanceIds(i)));
            System.out.println(ec2.createSnapshots(b -> b.instanceSpecification(x -> x.instanceId(i).excludeBootVolume(true))));
            System.out.println(host.log());
            try { ec2.deleteVolume(b -> b.volumeId(v.volumeId())); } catch (Ec2Exception e) { System.out.println(e.awsErrorDetails() + " " + e.statusCode()); }
        }
    }
}
