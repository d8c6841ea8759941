package io.cryptvol.shell;

import io.cryptvol.volumes.VolumeService;

/**
 * Progress of an EBS batch as one line per volume event: "[2/4] vol-0abc…  attaching as /dev/sdg".
 * Events come from worker threads; lines are printed whole, one at a time.
 */
public class VolumeProgressLines implements VolumeService.Progress {
    private final Ui ui;
    private final int total;
    private final String target;

    /** @param target how the host is named in "is /dev/nvme1n1 on …" lines */
    public VolumeProgressLines(Ui ui, int total, String target) {
        this.ui = ui;
        this.total = total;
        this.target = target;
    }

    @Override
    public synchronized void on(Event e) {
        String text = switch (e.stage()) {
            case REQUESTED -> "requested" + (e.detail() == null ? "" : " (" + e.detail() + ")");
            case CREATING -> "creating" + (e.detail() == null ? "" : " in " + e.detail());
            case AVAILABLE -> "available";
            case ATTACHING -> "attaching" + (e.detail() == null ? "" : " as " + e.detail());
            case ATTACHED -> "attached" + (e.detail() == null ? "" : " as " + e.detail());
            case DETACHING -> "detaching";
            case DETACHED -> "detached";
            case DELETING -> "deleting";
            case DELETED -> "deleted";
            case FAILED -> ui.red("failed") + ": " + e.detail();
            default -> e.stage().name().toLowerCase(java.util.Locale.ROOT);
        };
        line(e.index(), e.resourceId(), text);
    }

    @Override
    public synchronized void hostDevice(int index, String volumeId, String device) {
        line(index, volumeId, ui.green("is " + device) + " on " + target);
    }

    private void line(int index, String id, String text) {
        String who = id != null ? id : "(volume " + (index + 1) + ")";
        ui.progress(ui.dim(String.format("[%d/%d] ", index + 1, total)) + String.format("%-21s  ", who) + text);
    }
}
