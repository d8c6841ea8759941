package io.cryptvol.shell;

import io.cryptvol.day2.LockedMarks;
import io.cryptvol.day2.LockedVolume;
import io.cryptvol.day2.LockedVolumes;
import io.cryptvol.day2.UnlockService;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.session.HostAccess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * "1 volume locked: myvg/mylv → myencryptedlv @/mnt/mymountpoint — `unlock`", said on the diagnostics channel after
 * {@code connect} and when an interactive session starts on a saved target. One read-only look; a failure to look
 * says nothing (the command that needs the host will say what is wrong).
 */
public class LockedNotice {
    private static final Logger LOG = LoggerFactory.getLogger(LockedNotice.class);
    private final HostAccess hosts;
    private final UnlockService unlocking;
    private final LockedMarks marks;
    private final Ui ui;
    private final io.cryptvol.session.SessionContext ctx;

    public LockedNotice(HostAccess hosts, UnlockService unlocking, LockedMarks marks, Ui ui,
                        io.cryptvol.session.SessionContext ctx) {
        this.ctx = ctx;
        this.hosts = hosts;
        this.unlocking = unlocking;
        this.marks = marks;
        this.ui = ui;
    }

    public void say() {
        try {
            HostExecutor ex = hosts.executor();
            LockedVolumes.Found f = unlocking.findLocked(ex);
            marks.found(ctx.target().display(), f.volumes());
            String line = line(f.volumes());
            if (line != null) {
                ui.diagnostic(line);
            }
        } catch (RuntimeException e) {
            LOG.debug("could not look for locked volumes", e);
        }
    }

    static String line(List<LockedVolume> locked) {
        if (locked.isEmpty()) {
            return null;
        }
        return locked.size() + (locked.size() == 1 ? " volume" : " volumes") + " locked: "
                + String.join(", ", locked.stream().map(LockedView::line).toList()) + " — `unlock`";
    }
}
