package io.cryptvol.domain.cmd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The unattended unlock's boot-time files on the instance and the commands that install and remove them:
 * <ul>
 *   <li>{@link #SCRIPT}: opens one LUKS2 volume with the KMS-wrapped key of its header's {@code cryptvol-kms} token
 *       (IMDSv2 role credentials through the AWS CLI, {@code kms:Decrypt} with the token's encryption context, the
 *       plaintext piped to {@code cryptsetup open --key-file -}), then mounts it when fstab has its line;</li>
 *   <li>{@link #TEMPLATE}: {@code cryptvol-unlock@.service}, one instance per mapping, after network-online.target,
 *       bounded by {@code TimeoutStartSec}, wanted by multi-user.target but ordered before nothing the boot needs:
 *       a failure leaves the volume locked and the boot goes on (the guided {@code unlock} still works);</li>
 *   <li>{@code /etc/cryptvol/unlock.d/MAPPING.conf}: the LUKS UUID and the token number (no key, no ciphertext: the
 *       wrapped key stays in the header, where it travels with every snapshot).</li>
 * </ul>
 * Everything lives under /etc (the one place an AMI's root volume and the sandbox instance both keep).
 */
public final class UnlockUnit {
    public static final String DIR = "/etc/cryptvol";
    public static final String SCRIPT = DIR + "/cryptvol-unlock";
    public static final String CONF_DIR = DIR + "/unlock.d";
    public static final String TEMPLATE = "/etc/systemd/system/cryptvol-unlock@.service";
    /** Where the script leaves its one-line outcome for the guided unlock ("locked: why" or "open ..."). */
    public static final String STATUS_DIR = "/run/cryptvol";
    /** The unit's bound: device wait (30 s) + the KMS call (60 s) + margin. */
    public static final int TIMEOUT_SECONDS = 120;

    private UnlockUnit() {
    }

    public static String conf(String mapping) {
        return CONF_DIR + "/" + mapping + ".conf";
    }

    public static String statusFile(String mapping) {
        return STATUS_DIR + "/unlock-" + mapping + ".status";
    }

    /** {@code cryptvol-unlock@INSTANCE.service}, the instance name escaped as systemd-escape does. */
    public static String unitName(String mapping) {
        return "cryptvol-unlock@" + escape(mapping) + ".service";
    }

    /** systemd-escape for a unit instance: letters, digits, ':', '_' and a non-leading '.' stay; the rest \xNN. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_'
                    || (c == '.' && i > 0)) {
                sb.append(c);
            } else if (c == '/') {
                sb.append('-');
            } else {
                sb.append(String.format("\\x%02x", (int) c));
            }
        }
        return sb.toString();
    }

    public static String confText(String luksUuid, int tokenId) {
        return "# cryptvol unattended unlock (unlock policy kms): which header holds the KMS token\n"
                + "LUKS_UUID=" + luksUuid.toLowerCase(java.util.Locale.ROOT) + "\nTOKEN_ID=" + tokenId + "\n";
    }

    public static String unitText() {
        return """
                # cryptvol unattended unlock: one instance per mapping (cryptvol-unlock@MAPPING.service), enabled by
                # 'cryptvol unlock policy kms'. Never holds the boot: bounded, ordered before nothing the boot needs.
                [Unit]
                Description=cryptvol: open /dev/mapper/%I with its KMS-wrapped key (LUKS2 token)
                Wants=network-online.target
                After=network-online.target systemd-udevd.service
                ConditionPathExists=/etc/cryptvol/unlock.d/%I.conf

                [Service]
                Type=oneshot
                RemainAfterExit=yes
                EnvironmentFile=-/etc/cryptvol/aws.env
                ExecStart=/bin/sh /etc/cryptvol/cryptvol-unlock %I
                TimeoutStartSec=TIMEOUT

                [Install]
                WantedBy=multi-user.target
                """.replace("TIMEOUT", Integer.toString(TIMEOUT_SECONDS));
    }

    /**
     * The boot script. Every value read from the header's token is checked against a strict pattern before use
     * (a restored header is hostile input); the key passes from the AWS CLI to cryptsetup through pipes only.
     */
    public static String scriptText() {
        return """
                #!/bin/sh
                # cryptvol-unlock MAPPING (installed by 'cryptvol unlock policy kms'): opens a LUKS2 volume at boot with the
                # KMS-wrapped key in its header's cryptvol-kms token, then mounts it when fstab has its line. The key goes
                # from the AWS CLI (role credentials from IMDSv2, kms:Decrypt with the token's encryption context) to
                # cryptsetup through pipes only: never a file, an argument, the environment or the journal. On failure the
                # volume stays locked, the reason is one line here and in the journal, and the boot goes on.
                set -u
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
                m=${1:-}
                case "$m" in ''|-*|*[!A-Za-z0-9_.+-]*) echo "cryptvol-unlock: bad mapping name" >&2; exit 2 ;; esac
                mkdir -p -m 0700 /run/cryptvol
                status=/run/cryptvol/unlock-$m.status
                err=/run/cryptvol/unlock-$m.err
                locked() { rm -f "$err"; echo "locked: $*" > "$status"; echo "cryptvol-unlock: /dev/mapper/$m stays locked: $*" >&2; exit 1; }
                conf=/etc/cryptvol/unlock.d/$m.conf
                uuid=$(sed -n 's/^LUKS_UUID=\\([0-9a-f-]\\{36\\}\\)$/\\1/p' "$conf" 2>/dev/null)
                tid=$(sed -n 's/^TOKEN_ID=\\([0-9]\\{1,2\\}\\)$/\\1/p' "$conf" 2>/dev/null)
                [ -n "$uuid" ] && [ -n "$tid" ] || locked "$conf is missing or not valid"
                dev=/dev/disk/by-uuid/$uuid
                # bounds (s): the unit's TimeoutStartSec is the outer one; a slower machine may raise them in aws.env
                wait_s=${CRYPTVOL_UNLOCK_DEVICE_WAIT:-30}; case "$wait_s" in ''|*[!0-9]*) wait_s=30 ;; esac
                kms_s=${CRYPTVOL_KMS_TIMEOUT:-60}; case "$kms_s" in ''|*[!0-9]*) kms_s=60 ;; esac
                i=0
                while [ ! -b "$dev" ] && [ $i -lt "$wait_s" ]; do sleep 1; i=$((i + 1)); done
                [ -b "$dev" ] || locked "LUKS UUID $uuid did not appear in $wait_s s (are all its volumes attached and its VG active?)"
                if [ ! -b "/dev/mapper/$m" ]; then
                    command -v aws >/dev/null 2>&1 || locked "the AWS CLI is not installed (apt-get install awscli, or AWS CLI v2)"
                    tok=$(cryptsetup token export --token-id "$tid" "$dev" 2>/dev/null | tr -d '\\n' | sed 's#\\\\/#/#g') || tok=
                    field() { printf '%s' "$tok" | sed -n "s/.*\\"$1\\": *\\"\\([^\\"]*\\)\\".*/\\1/p"; }
                    # the lengths apart: a bounded repetition such as {4,8192} makes grep -E build an automaton of
                    # hundreds of MiB (a minute of CPU and the OOM killer on a small instance)
                    ok() { [ "${#2}" -le "$3" ] && printf '%s\\n' "$2" | grep -Eqx "$1"; }
                    [ "$(field type)" = cryptvol-kms ] || locked "token $tid of $dev is not a cryptvol-kms token"
                    key=$(field kms_key_id); region=$(field kms_region); ct=$(field kms_ciphertext)
                    cu=$(field luks_uuid); cvg=$(field vg)
                    slot=$(printf '%s' "$tok" | sed -n 's/.*"keyslots": *\\[ *"\\([0-9]\\{1,2\\}\\)".*/\\1/p')
                    ok 'arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+' "$key" 256 || locked "token $tid: bad KMS key id"
                    ok '[a-z]{2}(-[a-z]+)+-[0-9]{1,2}' "$region" 32 || locked "token $tid: bad region"
                    ok '[A-Za-z0-9+/]{4}[A-Za-z0-9+/]*={0,2}' "$ct" 8192 || locked "token $tid: bad ciphertext"
                    ok '[0-9]{1,2}' "$slot" 2 || locked "token $tid: bad key slot"
                    ok '[A-Za-z0-9+_.][A-Za-z0-9+_.-]*' "$cvg" 127 || locked "token $tid: bad VG in its context"
                    [ "$cu" = "$uuid" ] || locked "token $tid was made for LUKS UUID $cu, not $uuid: enable the policy again"
                    set -- --region "$region" --cli-connect-timeout 5 --cli-read-timeout 20
                    if [ -n "${CRYPTVOL_KMS_ENDPOINT_URL:-}" ]; then set -- "$@" --endpoint-url "$CRYPTVOL_KMS_ENDPOINT_URL"; fi
                    printf '%s' "$ct" | base64 -d | timeout "$kms_s" aws kms decrypt "$@" --key-id "$key" \\
                        --ciphertext-blob fileb:///dev/stdin --encryption-context "{\\"luks_uuid\\":\\"$cu\\",\\"vg\\":\\"$cvg\\"}" \\
                        --query Plaintext --output text 2>"$err" \\
                        | base64 -d 2>/dev/null | cryptsetup open --type luks2 --key-slot "$slot" --key-file - "$dev" "$m" 2>>"$err"
                    if [ ! -b "/dev/mapper/$m" ]; then
                        why=$(grep -Eo '\\((AccessDenied|InvalidCiphertext|NotFound|Disabled|KMSInvalidState|IncorrectKey|KMSInternal)[A-Za-z]*\\)|Could not connect to the endpoint URL|Unable to locate credentials|No key available with this passphrase|Connect timeout on endpoint URL|Read timeout on endpoint URL' "$err" | head -n 1)
                        [ -s "$err" ] || why="kms:Decrypt timed out"
                        locked "kms:Decrypt of key $key ($region) failed${why:+: $why}"
                    fi
                    rm -f "$err"
                fi
                mp=$(findmnt --fstab -n -o TARGET -S "/dev/mapper/$m" 2>/dev/null | head -n 1)
                if [ -n "$mp" ] && ! findmnt -n "$mp" >/dev/null 2>&1; then
                    # a missing mount point is made, as systemd does for a mount unit
                    mkdir -p "$mp" && mount "$mp" || { echo "open, not mounted: mount $mp failed" > "$status"; exit 1; }
                fi
                echo "open${mp:+, mounted on $mp}" > "$status"
                echo "cryptvol-unlock: /dev/mapper/$m open${mp:+, mounted on $mp}" >&2
                """;
    }

    /** Writes {@code text} (stdin, not secret) to {@code path} atomically with {@code mode}. */
    public static HostCommand writeFile(String path, String mode, String text) {
        return HostCommand.of("Write " + path, "sh", "-c",
                "umask 022 && mkdir -p \"${1%/*}\" && cat > \"$1.cryptvol-new\" && chmod \"$2\" \"$1.cryptvol-new\""
                        + " && mv -f \"$1.cryptvol-new\" \"$1\"", "sh", path, mode)
                .withStdin(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The commands that install the script, the template, the mapping's conf, and enable its instance. */
    public static List<HostCommand> install(String mapping, String luksUuid, int tokenId) {
        List<HostCommand> c = new ArrayList<>();
        c.add(writeFile(SCRIPT, "0755", scriptText()));
        c.add(writeFile(TEMPLATE, "0644", unitText()));
        c.add(writeFile(conf(mapping), "0644", confText(luksUuid, tokenId)));
        c.add(HostCommand.of("Reload systemd's units", "systemctl", "daemon-reload"));
        c.add(HostCommand.of("Enable " + unitName(mapping) + " at boot", "systemctl", "enable", "--quiet", unitName(mapping)));
        return c;
    }

    /** Disables the mapping's instance and removes its conf (the script and template stay for other mappings). */
    public static HostCommand uninstall(String mapping) {
        return HostCommand.of("Disable " + unitName(mapping) + " and remove " + conf(mapping), "sh", "-c",
                "systemctl disable --quiet \"$1\" 2>/dev/null; rm -f \"$2\"; systemctl daemon-reload", "sh",
                unitName(mapping), conf(mapping));
    }

    /** Exit 0 when the AWS CLI is on the instance (on root's PATH as the unit has it); nothing is run. */
    public static HostCommand awsCliCheck() {
        return HostCommand.query("Check for the AWS CLI", "sh", "-c",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; command -v aws");
    }

    /** The script's last outcome for a mapping ("locked: why", "open ..."): read-only; empty when it never ran. */
    public static HostCommand readStatus(String mapping) {
        return HostCommand.query("Read the unattended unlock's outcome for " + mapping, "sh", "-c",
                "cat \"$1\" 2>/dev/null; systemctl is-enabled \"$2\" 2>/dev/null || true", "sh", statusFile(mapping),
                unitName(mapping));
    }
}
