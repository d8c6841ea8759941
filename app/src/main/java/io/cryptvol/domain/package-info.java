/**
 * The pure domain of cryptvol: no Spring, AWS or SSH.
 *
 * <ul>
 *   <li>{@code model}: what a host looks like (BlockDevice, PhysicalVolume, VolumeGroup, LogicalVolume,
 *       LuksHeader, Mount, FstabFile, CrypttabFile) aggregated in {@code HostState} with its queries.</li>
 *   <li>{@code parse}: the tools' machine output → model (lsblk -J -b, pvs/vgs/lvs JSON, blkid -p -o export,
 *       cryptsetup luksDump, findmnt -J, /proc/self/mountinfo, /proc/self/mounts, fuser -vm). Field lists live next to the parser.</li>
 *   <li>{@code cmd}: argv builders returning HostCommand templates (Lvm, Cryptsetup, Filesystems, Mounts,
 *       Wipe, KeyFiles, EtcFiles, Modprobe, Probe) and LUKS settings (LuksOptions, Kdf, CipherPreset).</li>
 *   <li>{@code plan}: (spec, HostState) → Plan of steps or Refusals, one planner per stage
 *       (ProvisionPlanner, SanitizePlanner, DetachPlanner, GrowPlanner), and PlanRenderer. Keys are
 *       KeyRefs by name; bytes are attached by the runner.</li>
 * </ul>
 */
package io.cryptvol.domain;
