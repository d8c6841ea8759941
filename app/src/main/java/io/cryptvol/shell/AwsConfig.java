package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.AwsSettings;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.InstanceMetadata;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.shell.completion.CompletionProvider;

import java.time.Duration;
import java.util.List;

/**
 * AWS wiring. Nothing here talks to AWS, reads credentials or asks IMDS: {@link AwsAccess} makes the
 * clients on the first EBS command. Settings (Spring properties, so also environment variables such as
 * {@code CRYPTVOL_AWS_REGION}, and the global flags {@code --profile/--region/--endpoint}):
 * <ul>
 *   <li>{@code cryptvol.aws.profile}, {@code cryptvol.aws.region}: else the SDK's chains (AWS_PROFILE,
 *       AWS_REGION, ~/.aws/config, IMDS)</li>
 *   <li>{@code cryptvol.aws.endpoint}: else {@code CRYPTVOL_EC2_ENDPOINT}</li>
 *   <li>{@code cryptvol.aws.sandbox} (false), or {@code CRYPTVOL_EC2_SANDBOX=1}: that endpoint is cryptvol's local
 *       sandbox (dummy credentials, quick polling); never inferred from the address</li>
 *   <li>{@code cryptvol.aws.imds} (true): ask IMDSv2 for the instance when working on this machine and
 *       no instance was chosen</li>
 *   <li>{@code cryptvol.aws.max-attempts} (5): attempts per EC2 call, retries on throttling included</li>
 *   <li>{@code cryptvol.ebs.poll-interval} (2 s; 100 ms for the sandbox), {@code cryptvol.ebs.available-timeout}
 *       (5 min), {@code cryptvol.ebs.attach-timeout} (60 s), {@code cryptvol.ebs.detach-timeout} (2 min),
 *       {@code cryptvol.ebs.device-timeout} (60 s: until an attached volume shows up as a block device)</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
public class AwsConfig {

    public static final List<String> VOLUME_TYPES = List.of("gp3", "gp2", "io2", "io1", "st1", "sc1", "standard");

    @Bean(destroyMethod = "close")
    public AwsAccess awsAccess(@Value("${cryptvol.aws.profile:}") String profile,
                               @Value("${cryptvol.aws.region:}") String region,
                               @Value("${cryptvol.aws.endpoint:}") String endpoint,
                               @Value("${cryptvol.aws.sandbox:false}") boolean sandbox,
                               @Value("${cryptvol.aws.imds:true}") boolean imds,
                               @Value("${cryptvol.aws.max-attempts:" + AwsSettings.DEFAULT_MAX_ATTEMPTS + "}") int maxAttempts,
                               @Value("${cryptvol.ebs.poll-interval:}") String poll,
                               @Value("${cryptvol.ebs.available-timeout:5m}") Duration availableTimeout,
                               @Value("${cryptvol.ebs.attach-timeout:60s}") Duration attachTimeout,
                               @Value("${cryptvol.ebs.detach-timeout:2m}") Duration detachTimeout) {
        EbsOptions d = EbsOptions.defaults();
        EbsOptions options = new EbsOptions(d.pollInterval(), availableTimeout, attachTimeout, detachTimeout,
                d.deleteTimeout(), d.snapshotTimeout(), d.pageSize(), d.maxConcurrency());
        return new AwsAccess(profile, region, endpoint, sandbox, System.getenv(), options,
                poll.isBlank() ? null : DurationStyle.detectAndParse(poll), maxAttempts,
                imds ? InstanceMetadata::fromEnvironment : null);
    }

    @Bean
    public VolumeService volumeService(AwsAccess aws, SessionContext ctx, HostAccess hosts, Inventory inventory,
                                       @Value("${cryptvol.ebs.device-timeout:60s}") Duration deviceTimeout) {
        return new VolumeService(aws, ctx, hosts, inventory, deviceTimeout, Duration.ofMillis(500));
    }

    /** Volume ids the session has seen (use instance, volumes list/create/attach). */
    @Bean
    public CompletionProvider volumeIdCompletion(Inventory inventory) {
        return ctx -> Completions.proposals(inventory.get("volume"));
    }

    @Bean
    public CompletionProvider instanceIdCompletion(Inventory inventory) {
        return ctx -> Completions.proposals(inventory.get("instance"));
    }

    /**
     * The EBS side of {@code provision --new-volumes N --size GiB}: N gp3 volumes for the session's
     * instance, created, attached and found on the target with progress lines, tagged for the session's
     * VG. It is called only after the engine's decision ({@code provision} asks {@code PlanEngine.decide}, which
     * stops a dry run, the command's or the session's, before anything is created).
     */
    @Bean
    public NewVolumes ebsNewVolumes(VolumeService volumes, SessionContext ctx, Ui ui) {
        return (count, sizeGiB, target) -> {
            if (sizeGiB > 65536) {
                throw new CryptvolException("--size " + sizeGiB + " GiB is larger than any EBS volume", ExitCode.USAGE, null);
            }
            ui.println(ui.bold("Creating " + count + " EBS volumes of " + sizeGiB + " GiB for the new devices"));
            try {
                return volumes.createAndAttachDevices(count, VolumeSpec.of((int) sizeGiB, "gp3"), ctx.vg(),
                        new VolumeProgressLines(ui, count, target.display()));
            } catch (io.cryptvol.aws.EbsBatchException e) {
                throw EbsLeftovers.explain(e, true);
            }
        };
    }

    /** {@code --debug}: the EC2 calls per operation after each command (see {@link Ec2CallReport}). */
    @Bean
    public Ec2CallReport ec2CallReport(org.springframework.beans.factory.ObjectProvider<io.cryptvol.record.RecordingShell> shell,
                                       AwsAccess aws, Ui ui) {
        Ec2CallReport report = new Ec2CallReport(aws, ui);
        shell.ifAvailable(s -> s.addListener(report));
        return report;
    }

    /** Positional values (volume ids, use instance NAME) complete like named ones. */
    @Bean
    public PositionalCompletion positionalCompletion() {
        return new PositionalCompletion();
    }

    @Bean
    public CompletionProvider volumeTypeCompletion() {
        return ctx -> Completions.proposals(VOLUME_TYPES);
    }
}
