package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The encrypted striped volume the user wants. Build with {@link #builder()}; defaults: stripes =
 * number of devices, stripe size 4 KiB, extents 100%VG, LUKS2 default preset, XFS with
 * "rw,noatime,nouuid,noauto", an fstab line, no crypttab line.
 *
 * @param keyNames the first key formats the header, each further one is added to its own slot
 * @param force    a system directory, or a directory with files in it, as the mountpoint (see {@link Inputs})
 */
public record ProvisionSpec(List<String> devices, String vgName, String lvName, int stripes, long stripeSizeBytes,
                            String extents, List<String> keyNames, LuksOptions luks, String mappingName,
                            FsType fsType, String fsLabel, String mountpoint, String mountOptions, boolean fstab,
                            boolean crypttab, List<String> vgTags, boolean force) {

    public ProvisionSpec {
        devices = List.copyOf(devices);
        keyNames = List.copyOf(keyNames);
        vgTags = vgTags == null ? List.of() : List.copyOf(vgTags);
    }

    public String lvPath() {
        return "/dev/" + vgName + "/" + lvName;
    }

    public String mapperPath() {
        return "/dev/mapper/" + mappingName;
    }

    /** Everything wrong with the spec itself, before looking at the host. */
    public List<Refusal> problems() {
        List<Refusal> r = new ArrayList<>();
        if (devices.isEmpty()) {
            r.add(bad("spec", "give at least one device"));
        }
        if (new HashSet<>(devices).size() != devices.size()) {
            r.add(bad("spec", "a device is listed twice: " + devices));
        }
        devices.forEach(d -> Inputs.devicePath(d).ifPresent(r::add));
        Inputs.vgName(vgName).ifPresent(r::add);
        Inputs.lvName(lvName).ifPresent(r::add);
        r.addAll(Inputs.stripes(stripes, devices.isEmpty() ? 0 : devices.size(), stripeSizeBytes));
        if (extents == null || !extents.matches("\\d+(%(VG|FREE|PVS))?")) {
            r.add(bad("spec", "extents must be a count or N%VG / N%FREE / N%PVS, not " + Inputs.shown(extents)));
        }
        if (keyNames.isEmpty() || new HashSet<>(keyNames).size() != keyNames.size()) {
            r.add(bad("spec", "give one or more distinct key names (the first formats, the others are added)"));
        }
        Inputs.mappingName(mappingName).ifPresent(r::add);
        Inputs.Checked mp = Inputs.mountpoint(mountpoint, force);
        r.addAll(mp.refusals());
        if (mp.ok() && !mp.value().equals(mountpoint)) {
            r.add(Refusal.of(Reason.INVALID_MOUNTPOINT, "mountpoint " + Inputs.shown(mountpoint), "write it as "
                    + mp.value()));
        }
        r.addAll(Inputs.mountOptions(mountOptions, false).refusals());
        if (luks != null) {
            r.addAll(Inputs.luks(luks));
        }
        if (luks == null || fsType == null) {
            r.add(bad("spec", "LUKS options and filesystem type are required"));
        }
        return r;
    }

    private static Refusal bad(String subject, String msg) {
        return Refusal.of(Reason.INVALID_SPEC, subject, msg);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private List<String> devices = List.of();
        private String vg;
        private String lv;
        private Integer stripes;
        private long stripeSize = 4 * Sizes.KiB;
        private String extents = "100%VG";
        private List<String> keys = List.of();
        private LuksOptions luks = LuksOptions.defaults();
        private String mapping;
        private FsType fsType = FsType.XFS;
        private String fsLabel;
        private String mountpoint;
        private String mountOptions;
        private boolean fstab = true;
        private boolean crypttab;
        private List<String> vgTags = List.of();
        private boolean force;

        public Builder devices(String... d) {
            devices = List.of(d);
            return this;
        }

        public Builder devices(List<String> d) {
            devices = List.copyOf(d);
            return this;
        }

        public Builder vg(String v) {
            vg = v;
            return this;
        }

        public Builder lv(String l) {
            lv = l;
            return this;
        }

        public Builder stripes(int s) {
            stripes = s;
            return this;
        }

        public Builder stripeSizeBytes(long b) {
            stripeSize = b;
            return this;
        }

        public Builder extents(String e) {
            extents = e;
            return this;
        }

        public Builder keys(String... k) {
            keys = List.of(k);
            return this;
        }

        public Builder luks(LuksOptions o) {
            luks = o;
            return this;
        }

        public Builder mapping(String m) {
            mapping = m;
            return this;
        }

        public Builder fs(FsType f) {
            fsType = f;
            return this;
        }

        public Builder fsLabel(String l) {
            fsLabel = l;
            return this;
        }

        public Builder mountpoint(String m) {
            mountpoint = m;
            return this;
        }

        public Builder mountOptions(String o) {
            mountOptions = o;
            return this;
        }

        public Builder fstab(boolean b) {
            fstab = b;
            return this;
        }

        public Builder crypttab(boolean b) {
            crypttab = b;
            return this;
        }

        public Builder vgTags(String... t) {
            vgTags = List.of(t);
            return this;
        }

        /** A system directory, or a directory with files in it, as the mountpoint. */
        public Builder force(boolean f) {
            force = f;
            return this;
        }

        /**
         * Stripes default to the number of devices; a count given (even 0) is checked as given. The mountpoint
         * and the options are normalised when they are valid ({@link Inputs}); {@link #problems()} says why not.
         */
        public ProvisionSpec build() {
            String opts = mountOptions != null ? mountOptions : fsType.defaultMountOptions();
            Inputs.Checked o = Inputs.mountOptions(opts, false);
            Inputs.Checked mp = Inputs.mountpoint(mountpoint, force);
            return new ProvisionSpec(devices, vg, lv, stripes != null ? stripes : devices.size(), stripeSize, extents,
                    keys, luks, mapping, fsType, fsLabel, mp.ok() ? mp.value() : mountpoint, o.ok() ? o.value() : opts,
                    fstab, crypttab, vgTags, force);
        }
    }
}
