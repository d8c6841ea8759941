package io.cryptvol.shell;

import io.cryptvol.session.Target;

import java.util.List;

/**
 * The hook {@code provision --new-volumes N --size GiB} calls: create N EBS volumes, attach them to
 * the session's instance and return their block device paths on the target, in order. The default
 * bean refuses; the EBS integration provides the real one.
 */
@FunctionalInterface
public interface NewVolumes {
    List<String> createAndAttach(int count, long sizeGiB, Target target);
}
