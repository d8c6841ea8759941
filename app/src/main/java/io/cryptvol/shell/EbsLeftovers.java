package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.EbsBatchException;
import io.cryptvol.aws.EbsBatchException.Member;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The error line of an EBS batch that failed or timed out part way ({@code volumes create|attach}, {@code restore},
 * {@code provision --new-volumes}): what went wrong, then what exists now (each volume, its state, where it is
 * attached) and the exact commands that undo it: {@code volumes detach … --yes} for what is attached, then
 * {@code volumes delete … --yes} for what this command created.
 */
final class EbsLeftovers {
    private static final Pattern VOLUME_ID = Pattern.compile("vol-[0-9a-f]{8,17}");

    private EbsLeftovers() {
    }

    /**
     * @param createdHere the volumes are this command's own (restore: they were created, then attached), so
     *                    the undo deletes them too; otherwise only what the batch itself created is deleted
     */
    static CryptvolException explain(EbsBatchException e, boolean createdHere) {
        List<Member> members = e.members();
        if (members.isEmpty()) {
            return e;
        }
        List<Member> exist = e.existing().stream().filter(m -> VOLUME_ID.matcher(m.volumeId()).matches()).toList();
        StringBuilder b = new StringBuilder(e.getMessage());
        if (exist.isEmpty()) {
            b.append(" — nothing was created");
            return new CryptvolException(b.toString(), ExitCode.FAILED, e);
        }
        b.append(" — exists now: ");
        for (int i = 0; i < exist.size(); i++) {
            Member m = exist.get(i);
            b.append(i == 0 ? "" : ", ").append(m.volumeId()).append(" (").append(m.state() == null ? "?" : m.state());
            if (m.attached()) {
                b.append(", ").append(m.attachmentState() == null ? "attached" : m.attachmentState())
                        .append(e.instanceId() == null ? "" : " to " + e.instanceId()).append(" as ").append(m.device());
            }
            b.append(')');
        }
        List<String> detach = exist.stream().filter(Member::attached).map(Member::volumeId).toList();
        List<String> delete = exist.stream().filter(m -> createdHere || m.created()).map(Member::volumeId).toList();
        if (!detach.isEmpty() || !delete.isEmpty()) {
            b.append("; undo: ");
            if (!detach.isEmpty()) {
                b.append("volumes detach ").append(String.join(" ", detach)).append(" --yes");
            }
            if (!delete.isEmpty()) {
                b.append(detach.isEmpty() ? "" : ", then ").append("volumes delete ").append(String.join(" ", delete))
                        .append(" --yes");
            }
        }
        return new CryptvolException(b.toString(), ExitCode.FAILED, e);
    }
}
