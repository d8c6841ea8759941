package io.cryptvol.domain.cmd;

/** The LUKS header format, as cryptsetup --type spells it. */
public enum LuksType {
    LUKS1("luks1"), LUKS2("luks2");

    private final String arg;

    LuksType(String arg) {
        this.arg = arg;
    }

    public String arg() {
        return arg;
    }
}
