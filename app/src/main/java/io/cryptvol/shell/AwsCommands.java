package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.AwsSettings;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Which AWS account, region and endpoint the session's EBS commands use. Never calls AWS itself. */
@Command(group = "EBS volumes")
public class AwsCommands {
    private final AwsAccess aws;
    private final Ui ui;

    public AwsCommands(AwsAccess aws, Ui ui) {
        this.aws = aws;
        this.ui = ui;
    }

    @Command(command = {"aws", "use"}, description = "Set the AWS profile, region or EC2 endpoint for this session "
            + "('default' goes back to the SDK's chains; an endpoint is real AWS unless --sandbox says it is cryptvol's "
            + "local sandbox). Also: global flags --profile/--region/--endpoint, env CRYPTVOL_EC2_ENDPOINT, "
            + "CRYPTVOL_EC2_SANDBOX=1, CRYPTVOL_AWS_PROFILE/REGION.")
    public void use(
            @Option(longNames = "profile", description = "profile of ~/.aws/config") String profile,
            @Option(longNames = "region", description = "e.g. eu-west-1") String region,
            @Option(longNames = "endpoint", description = "EC2 endpoint URL, e.g. a VPC endpoint, or the sandbox's http://127.0.0.1:PORT")
            String endpoint,
            @Option(longNames = "sandbox", description = "the endpoint is cryptvol's local sandbox: dummy credentials, quick polling")
            boolean sandbox) {
        AwsSettings s = sandbox ? aws.configureSandbox(region, endpoint) : aws.configure(profile, region, endpoint);
        ui.ok("EBS commands now use " + describe(s));
    }

    @Command(command = {"aws", "show"}, description = "Show the AWS settings in effect (does not contact AWS).")
    public void show(@Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
                     String output) {
        AwsSettings s = aws.settings();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("profile", s.profile() == null ? "(SDK default chain)" : s.profile());
        m.put("region", s.region() != null ? s.region() : s.isSandbox() ? AwsSettings.SANDBOX_REGION : "(SDK region chain)");
        m.put("endpoint", s.endpoint() == null ? "(AWS)" : s.endpoint().toString());
        m.put("sandbox", s.isSandbox());
        m.put("credentials", s.isSandbox() ? "sandbox dummy credentials" : "SDK default chain"
                + (s.profile() == null ? "" : " with profile " + s.profile()));
        m.put("maxAttempts", s.maxAttempts());
        m.put("clientStarted", aws.started());
        if (OutputFormat.parse(output) == OutputFormat.JSON) {
            ui.json(m);
            return;
        }
        ui.println(Ui.Tables.render(List.of("", ""), m.entrySet().stream()
                .map(e -> List.of(e.getKey(), String.valueOf(e.getValue()))).toList(), x -> x)
                .lines().skip(1).reduce((a, b) -> a + "\n" + b).orElse(""));
    }

    static String describe(AwsSettings s) {
        if (s.isSandbox()) {
            return "the sandbox at " + s.endpoint();
        }
        return "profile " + (s.profile() == null ? "(default)" : s.profile()) + ", region "
                + (s.region() == null ? "(default)" : s.region())
                + (s.endpoint() == null ? "" : ", endpoint " + s.endpoint());
    }
}
