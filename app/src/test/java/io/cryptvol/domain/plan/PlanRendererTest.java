package io.cryptvol.domain.plan;

import io.cryptvol.domain.model.Signature;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static io.cryptvol.domain.plan.ProvisionStates.*;
import static org.assertj.core.api.Assertions.assertThat;

class PlanRendererTest {

    @Test
    void numberedStepsWithKeysByNameAndFinally() {
        AtomicInteger n = new AtomicInteger();
        Plan p = new ProvisionPlanner(() -> "tok" + n.incrementAndGet()).plan(spec(), after(LV)).plan();
        String text = PlanRenderer.render(p);
        assertThat(text).isEqualTo("""
                Encrypted striped volume /mnt/data (myvg/mylv → /dev/mapper/secure)
                1. Load kernel modules dm_crypt
                   $ modprobe -a dm_crypt
                2. Format /dev/myvg/mylv as LUKS (luks2 aes-xts-plain64 512-bit sha256 pbkdf2)
                   $ cryptsetup luksFormat --batch-mode --type luks2 --cipher aes-xts-plain64 --key-size 512 \
                --hash sha256 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - /dev/myvg/mylv  \
                < key 'data-key-1' on stdin
                3. Add key 'data-key-2' to /dev/myvg/mylv
                   $ install -d -m 0700 /run/cryptvol
                   $ sh -c 'd="$1"; [ -d "$d" ] || d=/run; t=$(stat -f -c %T "$d") || exit 1; [ "$t" = tmpfs ] || \
                { echo "$d is on $t, not tmpfs: refusing to write a key file there" >&2; exit 1; }' sh /run/cryptvol
                   $ sh -c 'umask 077 && cat > "$1"' sh /run/cryptvol/tok1.key  < key 'data-key-2' on stdin
                   $ cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - \
                /dev/myvg/mylv /run/cryptvol/tok1.key  < key 'data-key-1' on stdin
                   finally $ shred -u /run/cryptvol/tok1.key
                4. Back up the LUKS header of /dev/myvg/mylv to the key store
                   $ install -d -m 0700 /run/cryptvol
                   $ sh -c 'd="$1"; [ -d "$d" ] || d=/run; t=$(stat -f -c %T "$d") || exit 1; [ "$t" = tmpfs ] || \
                { echo "$d is on $t, not tmpfs: refusing to write a key file there" >&2; exit 1; }' sh /run/cryptvol
                   $ cryptsetup luksHeaderBackup --batch-mode /dev/myvg/mylv --header-backup-file /run/cryptvol/tok2.hdr
                   $ sh -c 'sha256sum < "$1" && base64 -w0 < "$1"' sh /run/cryptvol/tok2.hdr
                   finally $ shred -u /run/cryptvol/tok2.hdr
                5. Open /dev/myvg/mylv as /dev/mapper/secure
                   $ cryptsetup open --type luks --key-file - /dev/myvg/mylv secure  < key 'data-key-1' on stdin
                6. Make xfs on /dev/mapper/secure
                   $ mkfs.xfs /dev/mapper/secure
                7. Add to /etc/fstab: /dev/mapper/secure /mnt/data xfs rw,noatime,nouuid,noauto 0 0
                   $ sh -c 'if [ -s "$2" ] && [ -n "$(tail -c1 "$2")" ]; then echo >> "$2"; fi; \
                grep -qxF -- "$1" "$2" 2>/dev/null || printf '\\''%s\\n'\\'' "$1" >> "$2"' \
                sh '/dev/mapper/secure /mnt/data xfs rw,noatime,nouuid,noauto 0 0' /etc/fstab
                8. Mount /dev/mapper/secure on /mnt/data
                   $ mkdir -p /mnt/data
                   $ mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data
                """);
    }

    @Test
    void replanMarkerAndNothingToDo() {
        String text = PlanRenderer.render(new ProvisionPlanner(() -> "t0000").plan(spec(), after(ADD_KEY)));
        assertThat(text).endsWith("   (then cryptvol looks at the host again and plans the rest)\n");
        assertThat(PlanRenderer.render(new ProvisionPlanner().plan(spec(), after(MOUNTED))))
                .startsWith("Nothing to do: ");
    }

    @Test
    void ephemeralKeysAndRefusals() {
        String text = PlanRenderer.render(new SanitizePlanner().plan(java.util.List.of("/dev/nvme1n1"),
                SanitizePlanner.Method.PLAIN, after(0)));
        assertThat(text).contains("< a random throwaway key on stdin");
        String refused = PlanRenderer.render(new ProvisionPlanner().plan(spec(),
                after(0).withSignature(Signature.of("/dev/nvme2n1", "xfs"))));
        assertThat(refused).isEqualTo("Refused:\n  - /dev/nvme2n1: has a xfs signature; refusing to touch a device "
                + "that is not empty (wipefs it or pick another)\n");
    }
}
