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
            + "copies in every region the VG's copy policy names ('snapshots policy set'), "
            + "outstanding transient key copies, key store and state file permissions. Each line: status, check, "
            + "subject, and a fix. Exit 1 when any check fails; warnings and skipped checks keep exit 0.")
    public void doctor(
            @Option(longNames = "max-age", description = "how old the newest complete snapshot set of each VG may be: "
                    + "24h, 2d, 90m (default: the VG's copy policy's max age, else 24h)") String maxAge,
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output,
            @Option(longNames = "all", description = "every instance that 'volumes list' knows (the cryptvol-tagged EBS "
                    + "volumes' instances and the session's), over the session's transport: one section each and a "
                    + "summary; exit 1 when any instance fails or cannot be reached") boolean all,
            @Option(longNames = "max-concurrency", defaultValue = "4", description = "with --all: how many instances "
                    + "are checked at a time") int maxConcurrency) {
        OutputFormat format = OutputFormat.parse(output);
        if (all) {
            all(doctor.all(DoctorService.maxAgeOption(maxAge), maxConcurrency), format);
            return;
        }
        Report r = doctor.run(DoctorService.maxAgeOption(maxAge));
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

    private void all(DoctorService.Estate e, OutputFormat format) {
        if (format == OutputFormat.JSON) {
            ui.json(e.sections().stream().map(x -> {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("instance", x.instanceId());
                m.put("via", x.via());
                m.putAll(x.report().json());
                return m;
            }).toList());
        } else {
            ui.println("Instances reached " + e.how() + ".");
            List<List<String>> rows = new ArrayList<>();
            for (DoctorService.Section x : e.sections()) {
                ui.println("");
                ui.println(ui.bold("== " + x.instanceId() + " (" + x.via() + ")"));
                render(x.report());
                Report r = x.report();
                rows.add(List.of(x.instanceId(), x.via(), String.valueOf(r.count(Check.Status.OK)),
                        String.valueOf(r.count(Check.Status.WARN)), String.valueOf(r.count(Check.Status.FAIL)),
                        String.valueOf(r.count(Check.Status.SKIPPED))));
            }
            ui.println("");
            ui.println(ui.bold("== summary"));
            ui.table(List.of("INSTANCE", "VIA", "OK", "WARN", "FAIL", "SKIPPED"), rows);
        }
        List<DoctorService.Section> failed = e.failed();
        if (!failed.isEmpty()) {
            throw new CryptvolException("doctor --all: " + failed.size() + " of " + e.sections().size() + " instance"
                    + (e.sections().size() == 1 ? "" : "s") + " failed (" + String.join(", ", failed.stream()
                    .map(DoctorService.Section::instanceId).toList()) + ")", ExitCode.FAILED, null);
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
