package io.cryptvol.snapshot;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.EbsSnapshot;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What {@code snapshots copy SET --region R} does, as a pure function of the set and of what R holds already, so
 * that running it twice, or again after an interruption, leaves exactly one copy per member. A snapshot in R is a
 * copy of member M when its {@link SnapshotTags#SOURCE_SNAPSHOT} tag names M (and its source region, when tagged,
 * is the set's); a copy made before that tag existed is recognised by the set and index tags it carries. Completed
 * and pending copies are kept (pending ones are waited for); only members without one are copied. A copy in state
 * error is refused: it would make the set in R read incomplete.
 *
 * @param reused  members' copies found in R, in member order (null where the member is to be copied)
 * @param toCopy  the members to copy, in member order
 * @param extra   further copies of a member already covered (made twice by an older cryptvol): ids, to report
 */
public record SetCopy(List<EbsSnapshot> reused, List<EbsSnapshot> toCopy, List<String> extra) {

    public static SetCopy plan(SnapshotSet set, String sourceRegion, String destinationRegion, List<EbsSnapshot> inDestination) {
        List<EbsSnapshot> reused = new ArrayList<>();
        List<EbsSnapshot> toCopy = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        for (EbsSnapshot member : set.snapshots()) {
            List<EbsSnapshot> copies = inDestination.stream().filter(d -> isCopyOf(d, member, set.id(), sourceRegion))
                    .sorted(Comparator.comparing((EbsSnapshot d) -> !d.completed()).thenComparing(EbsSnapshot::id)).toList();
            List<EbsSnapshot> usable = copies.stream().filter(d -> !"error".equals(d.state())).toList();
            copies.stream().filter(d -> "error".equals(d.state())).forEach(d -> broken.add(d.id() + " (copy of " + member.id() + ")"));
            if (usable.isEmpty()) {
                reused.add(null);
                toCopy.add(member);
            } else {
                reused.add(usable.get(0));
                usable.stream().skip(1).forEach(d -> extra.add(d.id()));
            }
        }
        if (!broken.isEmpty()) {
            throw new CryptvolException("copies in " + destinationRegion + " in state error: " + String.join(", ", broken)
                    + "; delete them ('snapshots delete " + set.id() + " --region " + destinationRegion
                    + "') and copy again", ExitCode.FAILED, null);
        }
        return new SetCopy(java.util.Collections.unmodifiableList(reused), List.copyOf(toCopy), List.copyOf(extra));
    }

    static boolean isCopyOf(EbsSnapshot d, EbsSnapshot member, String setId, String sourceRegion) {
        String src = d.tag(SnapshotTags.SOURCE_SNAPSHOT);
        if (src != null) {
            String region = d.tag(SnapshotTags.SOURCE_REGION);
            return src.equals(member.id()) && (region == null || region.equals(sourceRegion));
        }
        String idx = d.tag(SnapshotTags.INDEX);
        return setId.equals(d.tag(SnapshotTags.SET)) && idx != null && idx.equals(member.tag(SnapshotTags.INDEX));
    }

    /** The copies found in the destination. */
    public List<EbsSnapshot> found() {
        return reused.stream().filter(s -> s != null).toList();
    }
}
