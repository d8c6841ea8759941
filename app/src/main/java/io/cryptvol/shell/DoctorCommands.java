package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.doctor.Check;
import io.cryptvol.doctor.DoctorService;
import io.cryptvol.doctor.Report;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.List;

/** {@code doctor}: is this target in a state it can be recovered from? A checklist, read-only. */
@Command(group = "Day 2")
public class DoctorCommands {
    private final DoctorService doctor;
    private final Ui ui;

    public DoctorCommands(DoctorService doctor, Ui ui) {
        this.doctor = doctor;
        this.ui = ui;
    }

    @Command(command = "doctor", description = "Audit the connected target, read-only: LUKS key slots (>= 2), key "
            + "backups (>= 2 verified, one off the machine: s3:// or another file system than the key store), header "
            + "backups matching the live headers, noauto/nofail in fstab and crypttab, nvme_core.io_timeout, VG members "
            + "(attached, one set, one zone), the newest complete snapshot set younger than --max-age, incomplete sets, "
            + "outstanding transient key copies, key store and state file permissions. Each line: status, check, "
            + "subject, and a fix. Exit 1 when any check fails; warnings and skipped checks keep exit 0.")
    public void doctor(
            @Option(longNames = "max-age", defaultValue = "24h", description = "how old the newest complete snapshot set "
                    + "of each VG may be: 24h, 2d, 90m") String maxAge,
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        Report r = doctor.run(DoctorService.maxAge(maxAge));
        if (format == OutputFormat.JSON) {
            ui.json(r.json());
        } else {
            render(r);
        }
        if (r.failed()) {
            throw new CryptvolException(r.count(Check.Status.FAIL) + " doctor check" + (r.count(Check.Status.FAIL) == 1
                    ? "" : "s") + " failed on " + r.target(), ExitCode.FAILED, null);
        }
    }

    private void render(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (Check c : r.checks()) {
            rows.add(List.of(word(c.status()), c.id(), c.subject(), c.message()));
        }
        List<String> lines = new ArrayList<>(Ui.Tables.render(List.of("STATUS", "CHECK", "SUBJECT", "RESULT"), rows,
                ui::bold).lines().toList());
        StringBuilder sb = new StringBuilder(lines.get(0));
        for (int i = 0; i < r.checks().size(); i++) {
            sb.append('\n').append(colour(r.checks().get(i).status(), lines.get(i + 1)));
            String fix = r.checks().get(i).fix();
            if (fix != null && r.checks().get(i).status() != Check.Status.OK) {
                sb.append('\n').append("        fix: ").append(fix);
            }
        }
        ui.println(sb.toString());
        ui.println(r.target() + ": " + r.summary());
    }

    private static String word(Check.Status s) {
        return s == Check.Status.FAIL ? "FAIL" : s.word();
    }

    private String colour(Check.Status s, String line) {
        return switch (s) {
            case OK -> line;
            case WARN -> ui.yellow(line);
            case FAIL -> ui.red(line);
            case SKIPPED -> ui.dim(line);
        };
    }
}
