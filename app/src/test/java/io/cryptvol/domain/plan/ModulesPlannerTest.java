package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.HostCommand;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class ModulesPlannerTest {

    static Set<String> set(String s) {
        return s == null || s.isBlank() ? Set.of() : Arrays.stream(s.split(" ")).collect(Collectors.toSet());
    }

    /** loaded | builtin | crypto | conf → modprobe argv | persisted lines. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "-             | -           | -                 | -                        | modprobe -a dm_crypt aes xts | dm_crypt aes xts",
            "dm_crypt      | -           | -                 | -                        | modprobe -a aes xts          | dm_crypt aes xts",
            "dm_crypt      | -           | aes xts(aes)      | -                        | modprobe -a xts              | dm_crypt aes xts",
            "-             | dm_crypt    | aes               | -                        | modprobe -a xts              | aes xts",
            "dm_crypt xts  | aes         | aes               | dm_crypt\\nxts           | -                            | -",
            "dm_crypt      | -           | aes xts           | dm_crypt\\naes\\nxts     | -                            | -",
    })
    void loadsWhatIsMissingAndPersistsWhatIsNotBuiltIn(String loaded, String builtin, String crypto, String conf,
                                                        String modprobe, String persisted) {
        Plan p = ModulesPlanner.plan(ModulesPlanner.modulesFor(false), set(loaded), set(builtin), set(crypto),
                conf == null ? "" : conf.replace("\\n", "\n"));
        List<List<String>> argvs = p.steps().stream().map(PlanStep::command).map(HostCommand::argv).toList();
        List<String> probes = argvs.stream().filter(a -> a.get(0).equals("modprobe")).map(a -> String.join(" ", a)).toList();
        assertThat(probes).isEqualTo(modprobe == null ? List.of() : List.of(modprobe));
        List<String> lines = argvs.stream().filter(a -> a.get(0).equals("sh")).map(a -> a.get(4)).toList();
        assertThat(lines).isEqualTo(persisted == null ? List.of() : List.of(persisted.split(" ")));
        argvs.stream().filter(a -> a.get(0).equals("sh")).forEach(a -> assertThat(a.get(5)).isEqualTo(ModulesPlanner.CONF));
        // the directory is created before anything is written to it, and only then
        int mkdir = argvs.indexOf(List.of("mkdir", "-p", "/etc/modules-load.d"));
        assertThat(mkdir >= 0).isEqualTo(!lines.isEmpty());
        if (!lines.isEmpty()) {
            assertThat(mkdir).isLessThan(argvs.indexOf(argvs.stream().filter(a -> a.get(0).equals("sh")).findFirst().orElseThrow()));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "kernel/crypto/aes_generic.ko|aes_generic",
            "kernel/drivers/md/dm-crypt.ko|dm_crypt",
    })
    void builtinNamesAreNormalised(String line, String name) {
        assertThat(ModulesPlanner.parseBuiltin(line + "\n")).containsExactly(name);
    }

    @org.junit.jupiter.api.Test
    void legacyPresetAddsTheSeedsAlgorithms() {
        assertThat(ModulesPlanner.modulesFor(true)).containsExactly("dm_crypt", "aes", "cbc", "essiv", "rmd160");
        assertThat(ModulesPlanner.parseProcCrypto("name         : xts(aes)\ndriver       : xts-aes-aesni\nmodule       : aesni_intel\n"))
                .contains("xts(aes)", "aesni_intel");
    }
}
