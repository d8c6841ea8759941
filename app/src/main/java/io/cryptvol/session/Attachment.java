package io.cryptvol.session;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where cryptvol last saw an EBS volume attached: the instance (or, when no instance was known, the target it was
 * reached as), the device it showed there, when, and the LVM PV UUID it held (so that a VG member the host reports
 * missing by PV UUID can still be named by its volume id). Every field is checked on the way in and on the way back
 * from the inventory file: a host's or EC2's word that does not look like one is not kept.
 *
 * @param volumeId "vol-" and 8 to 17 hex digits
 * @param where    an instance id ("i-…") or an inventory target key ("ssh:root@10.0.0.5:22", "sandbox", "local")
 * @param device   the device it showed: "/dev/nvme2n1" on the host, "/dev/sdg" as EC2 says; null when not known
 * @param seen     when it was seen so, to the second
 * @param pvUuid   the PV UUID on it, null when none was seen
 */
public record Attachment(String volumeId, String where, String device, Instant seen, String pvUuid) {
    static final Pattern VOLUME = Pattern.compile("vol-[0-9a-f]{8,17}");
    private static final Pattern INSTANCE = Pattern.compile("i-[0-9a-f]{8,17}");
    private static final Pattern TARGET = Pattern.compile("(local|sandbox|ssh:[A-Za-z0-9._-]{1,64}@[A-Za-z0-9.:\\[\\]_-]{1,255}:[0-9]{1,5})");
    private static final Pattern DEVICE = Pattern.compile("/dev/[A-Za-z0-9_./-]{1,64}");
    private static final Pattern PV_UUID = Pattern.compile("[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}");
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm'Z'").withZone(ZoneOffset.UTC);

    public Attachment {
        if (volumeId == null || !VOLUME.matcher(volumeId).matches()) {
            throw new IllegalArgumentException("not an EBS volume id");
        }
        if (where == null || !(INSTANCE.matcher(where).matches() || TARGET.matcher(where).matches())) {
            throw new IllegalArgumentException("not an instance id or a target");
        }
        if (device != null && (!DEVICE.matcher(device).matches() || device.contains(".."))) {
            throw new IllegalArgumentException("not a device path");
        }
        if (seen == null) {
            throw new IllegalArgumentException("no time");
        }
        seen = seen.truncatedTo(ChronoUnit.SECONDS);
        if (pvUuid != null && !PV_UUID.matcher(pvUuid).matches()) {
            pvUuid = null; // not an LVM PV UUID: not kept
        }
    }

    /** The attachment, or empty when any value is not what it should be (a hostile or damaged one). */
    public static Optional<Attachment> of(String volumeId, String where, String device, Instant seen, String pvUuid) {
        try {
            return Optional.of(new Attachment(volumeId, where, device, seen, pvUuid));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** "vol0abc…" (the serial a Nitro instance shows) or "vol-0abc…" → "vol-0abc…"; null for anything else. */
    public static String volumeIdOfSerial(String serial) {
        if (serial == null) {
            return null;
        }
        String s = serial.strip().toLowerCase(java.util.Locale.ROOT);
        if (s.matches("vol-?[0-9a-f]{8,17}")) {
            return s.startsWith("vol-") ? s : "vol-" + s.substring(3);
        }
        return null;
    }

    /** "last seen attached to i-0abc… as /dev/sdg at 2026-11-30T10:00Z". */
    public String describe() {
        return "last seen attached to " + where + (device == null ? "" : " as " + device) + " at " + MINUTE.format(seen);
    }

    /** The words the inventory file keeps: where, device ("" for none), seen, PV UUID ("" for none). */
    List<String> words() {
        List<String> w = new ArrayList<>();
        w.add(where);
        w.add(device == null ? "" : device);
        w.add(seen.toString());
        w.add(pvUuid == null ? "" : pvUuid);
        return w;
    }

    /** Back from {@link #words}; empty for anything damaged. */
    static Optional<Attachment> fromWords(String volumeId, List<String> w) {
        if (w == null || w.size() != 4) {
            return Optional.empty();
        }
        try {
            return of(volumeId, w.get(0), w.get(1).isEmpty() ? null : w.get(1), Instant.parse(w.get(2)),
                    w.get(3).isEmpty() ? null : w.get(3));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
