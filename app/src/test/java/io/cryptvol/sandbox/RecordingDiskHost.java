package io.cryptvol.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A DiskHost that only records what was plugged in and out (for tests without the qemu instance). */
public class RecordingDiskHost implements DiskHost {
    private final Map<String, Path> attached = new LinkedHashMap<>();
    private final List<String> log = new ArrayList<>();

    @Override
    public synchronized void attachDisk(String serial, Path image) {
        if (attached.containsKey(serial)) {
            throw new IllegalStateException("serial " + serial + " is attached already");
        }
        attached.put(serial, image);
        log.add("attach " + serial);
    }

    @Override
    public synchronized void detachDisk(String serial) {
        if (attached.remove(serial) == null) {
            throw new IllegalStateException("serial " + serial + " is not attached");
        }
        log.add("detach " + serial);
    }

    @Override
    public synchronized List<String> attachedSerials() {
        return new ArrayList<>(attached.keySet());
    }

    public synchronized Path image(String serial) {
        return attached.get(serial);
    }

    public synchronized List<String> log() {
        return new ArrayList<>(log);
    }
}
