package io.cryptvol.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.CryptvolException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SsmDocumentTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void provisionScriptBecomesASchema22CommandDocument() throws Exception {
        Path script = Path.of("scripts/provision.cvsh"); // the tests run from the checkout's root
        String text = Files.readString(script);
        JsonNode doc = JSON.readTree(SsmDocument.of("cryptvol-provision", "provision.cvsh", text));
        assertThat(doc.path("schemaVersion").asText()).isEqualTo("2.2");
        JsonNode step = doc.path("mainSteps").get(0);
        assertThat(step.path("action").asText()).isEqualTo("aws:runShellScript");
        List<String> run = new ArrayList<>();
        step.path("inputs").path("runCommand").forEach(n -> run.add(n.asText()));
        // the script verbatim between the here-document's lines
        int from = run.indexOf("cat > \"$d/script.cvsh\" <<'CRYPTVOL_SCRIPT_EOF'") + 1;
        int to = run.indexOf("CRYPTVOL_SCRIPT_EOF");
        assertThat(String.join("\n", run.subList(from, to)) + "\n").isEqualTo(text);
        assertThat(run.get(run.size() - 1)).isEqualTo("'{{ cryptvol }}' replay \"$d/script.cvsh\" --yes \"$@\"");
        assertThat(run).contains("set -- --var target=local");

        List<String> params = SsmDocument.parameters(JSON.writeValueAsString(doc));
        assertThat(params).contains("cryptvol", "devices", "vg", "key1", "key2", "identity").doesNotContain("target");
        assertThat(doc.path("parameters").path("devices").path("default").asText()).isEqualTo("/dev/nvme1n1,/dev/nvme2n1,/dev/nvme3n1,/dev/nvme4n1");
        doc.path("parameters").forEach(p -> assertThat(p.path("allowedPattern").asText()).isEqualTo(SsmDocument.ALLOWED));
        // every parameter reaches replay as --var only when it is not empty
        assertThat(run).contains("if [ -n '{{ vg }}' ]; then set -- \"$@\" --var 'vg={{ vg }}'; fi");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ok-name | 'luks open ${dev} m --key ${?pass}\n' | s.cvsh:1 asks for a secret (${?pass}) at a terminal",
            "AWS-Mine | 'context\n'                          | may not start with aws",
            "a b     | 'context\n'                          | not an SSM document name",
            "ok-name | 'set x=''a b''\ncontext ${x}\n'       | the default of x in s.cvsh has characters",
            "ok-name | 'context \"unclosed\n'                | s.cvsh:1",
    })
    void refusedInOneLine(String name, String text, String message) {
        assertThatThrownBy(() -> SsmDocument.of(name, "s.cvsh", text.replace("\\n", "\n")))
                .isInstanceOf(CryptvolException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
