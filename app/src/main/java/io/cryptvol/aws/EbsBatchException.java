package io.cryptvol.aws;

import io.cryptvol.CryptvolException;

import java.util.List;

/**
 * Some volumes (or snapshots) of a batch failed. {@link #completed()} names the ones that are done,
 * so that the caller can go on with them or clean them up. A batch of new or attached volumes also says
 * what exists now, member by member ({@link #members()}), so that the shell can give the exact undo.
 */
public class EbsBatchException extends CryptvolException {
    private final List<String> completed;
    private final List<String> failed;
    private final String instanceId;
    private final List<Member> members;

    /**
     * One volume of the batch as EC2 last showed it. {@code volumeId} null: its CreateVolume failed (nothing
     * exists). {@code device}/{@code attachmentState} null: not attached. {@code created}: this run made it.
     * {@code problem} null: it reached the batch's goal.
     */
    public record Member(int index, String volumeId, boolean created, String state, String device,
                         String attachmentState, String problem) {
        public boolean exists() {
            return volumeId != null && !"deleted".equals(state);
        }

        public boolean attached() {
            return device != null;
        }
    }

    public EbsBatchException(String message, List<String> completed, List<String> failed, Throwable cause) {
        this(message, completed, failed, cause, null, List.of());
    }

    public EbsBatchException(String message, List<String> completed, List<String> failed, Throwable cause,
                             String instanceId, List<Member> members) {
        super(message, cause);
        this.completed = List.copyOf(completed);
        this.failed = List.copyOf(failed);
        this.instanceId = instanceId;
        this.members = List.copyOf(members);
    }

    /** Ids of resources that reached the batch's goal. */
    public List<String> completed() {
        return completed;
    }

    /** Ids (where known) of resources that did not; a creation that failed has none. */
    public List<String> failed() {
        return failed;
    }

    /** The instance the volumes were being attached to; null when none. */
    public String instanceId() {
        return instanceId;
    }

    /** Each volume of the batch, in set order; empty when the batch was not about volumes. */
    public List<Member> members() {
        return members;
    }

    /** Volumes that exist now, in set order. */
    public List<Member> existing() {
        return members.stream().filter(Member::exists).toList();
    }

    /** Volumes that exist and this run created, in set order. */
    public List<String> createdIds() {
        return members.stream().filter(m -> m.exists() && m.created()).map(Member::volumeId).toList();
    }

    /** Volumes that EC2 shows attached (in any attachment state), in set order. */
    public List<String> attachedIds() {
        return members.stream().filter(m -> m.exists() && m.attached()).map(Member::volumeId).toList();
    }
}
