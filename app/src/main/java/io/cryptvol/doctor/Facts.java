package io.cryptvol.doctor;

import io.cryptvol.aws.EbsVolume;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.keys.LedgerEntry;
import io.cryptvol.snapshot.SnapshotSet;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code doctor} looked at, gathered read-only by {@link DoctorService}; {@link Doctor#checks} turns it
 * into the checklist without looking at anything else (so the check logic is tested on states made by hand).
 *
 * @param target      the target's name ("local", "root@10.0.0.5:22")
 * @param host        the observation ({@code HostObserver}: devices, LVM, LUKS headers, fstab, crypttab)
 * @param nvme        what the kernel says about {@code nvme_core.io_timeout}
 * @param keys        every key in the key store with its backups
 * @param headers     per LUKS device seen: its header backup compared with the live header
 * @param outstanding transient key copies the ledger lists as not shredded
 * @param files       loose permissions of the key store and the state files
 * @param ec2         the EC2 side (volumes, snapshot sets), or why it was not looked at
 * @param now         the time of the check
 * @param maxAge      how old the newest complete snapshot set may be
 */
public record Facts(String target, HostState host, Nvme nvme, List<KeyFacts> keys, List<HeaderFacts> headers,
                    List<LedgerEntry> outstanding, List<FileProblem> files, Ec2 ec2, Instant now, Duration maxAge) {

    public Facts {
        keys = List.copyOf(keys);
        headers = List.copyOf(headers);
        outstanding = List.copyOf(outstanding);
        files = List.copyOf(files);
    }

    /**
     * {@code /sys/module/nvme_core/parameters/io_timeout} and where it is set for the next boot.
     *
     * @param value     the parameter as read (null: no such file, no NVMe driver)
     * @param kernel    {@code uname -r}
     * @param persisted the value the kernel command line ({@code nvme_core.io_timeout=}) or a modprobe.d
     *                  {@code options nvme_core io_timeout=} line gives the next boot (null: neither sets it)
     */
    public record Nvme(String value, String kernel, String persisted) {
    }

    /** Where a key backup is, as "off the machine" is defined (README, doctor). */
    public enum Place {
        /** an {@code s3://} location: off the machine */
        S3,
        /** a directory on another file system than the key store (another disk, a USB drive, a network mount): off */
        OTHER_DISK,
        /** on the key store's own file system: lost with that disk, not off the machine */
        SAME_DISK,
        /** on tmpfs or ramfs: lost at the next reboot, not off the machine */
        MEMORY,
        /** not there now (deleted, or the drive is not mounted) */
        MISSING
    }

    /** A backup of a key: where, what kind of place, and whether it holds the key's bytes (checked now for files). */
    public record BackupFacts(String location, Place place, boolean verified) {
        public boolean off() {
            return place == Place.S3 || place == Place.OTHER_DISK;
        }
    }

    /** A key: its name, its backups, and the LUKS UUIDs it is recorded as opening. */
    public record KeyFacts(String name, List<BackupFacts> backups, List<String> opens) {
        public KeyFacts {
            backups = List.copyOf(backups);
            opens = List.copyOf(opens);
        }
    }

    /**
     * The header backup of one LUKS device compared with its live header.
     *
     * @param backup      the backup compared (null: none for this UUID)
     * @param differences where they differ (empty: they match)
     * @param problem     why they could not be compared (null: they were)
     */
    public record HeaderFacts(String device, String uuid, String backup, List<String> differences, String problem) {
        public HeaderFacts {
            differences = differences == null ? List.of() : List.copyOf(differences);
        }
    }

    /** One loose permission: the path, what is wrong, the command that repairs it. */
    public record FileProblem(String path, String problem, String fix) {
    }

    /**
     * The EC2 side.
     *
     * @param skipped      why EC2 was not looked at (null: it was)
     * @param instanceId   the session's instance
     * @param attached     the volumes attached to it
     * @param tagged       per VG, its EBS volumes wherever they are: tagged {@code cryptvol:vg=VG}, or in the set of one
     *                     of its PVs' volumes
     * @param sets         every snapshot set of the region
     * @param setsSkipped  why the snapshot sets were not listed (null: they were)
     */
    public record Ec2(String skipped, String instanceId, List<EbsVolume> attached, Map<String, List<EbsVolume>> tagged,
                      List<SnapshotSet> sets, String setsSkipped) {
        public static Ec2 skipped(String reason) {
            return new Ec2(reason, null, List.of(), Map.of(), List.of(), reason);
        }
    }
}
