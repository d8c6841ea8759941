package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.Ec2CallCounts;
import io.cryptvol.record.RecordingShell;
import io.cryptvol.ui.ErrorMessages;

import java.util.Map;

/**
 * Under {@code --debug} (or {@code CRYPTVOL_DEBUG=1}): at the end of each command that called EC2, one line on
 * the diagnostics stream (stderr in one-command mode) with the number of EC2 requests per operation, e.g.
 * "debug: 12 EC2 calls: AttachVolume 4, CreateVolume 4, DescribeInstances 1, DescribeVolumes 3". The counts
 * start again from zero for the next command. Without debug, or before any EC2 client exists, it does nothing.
 */
final class Ec2CallReport implements RecordingShell.Listener {
    private final AwsAccess aws;
    private final Ui ui;

    Ec2CallReport(AwsAccess aws, Ui ui) {
        this.aws = aws;
        this.ui = ui;
    }

    @Override
    public void evaluated(RecordingShell.Evaluation e) {
        if (!aws.started()) {
            return;
        }
        Map<String, Integer> counts = aws.ebs().calls().drain(); // every command starts from zero, debug or not
        if (ErrorMessages.debug() && !counts.isEmpty()) {
            ui.diagnostic(ui.dim("debug: " + Ec2CallCounts.line(counts)));
        }
    }
}
