package io.cryptvol.testvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which classes the run puts last: those marked {@link VmTest} or tagged vm, and no other. */
class VmClassesLastTest {

    @VmTest
    static class Marked {
    }

    @Tag("vm")
    static class TaggedVm {
    }

    @Tag("slow")
    @Tag("vm")
    static class TaggedTwice {
    }

    @Tag("slow")
    static class TaggedOther {
    }

    static class Plain {
    }

    static Stream<Arguments> classes() {
        return Stream.of(Arguments.of(Marked.class, true), Arguments.of(TaggedVm.class, true),
                Arguments.of(TaggedTwice.class, true), Arguments.of(TaggedOther.class, false),
                Arguments.of(Plain.class, false), Arguments.of(PowerVmTest.class, true),
                Arguments.of(HotplugVmTest.class, true), Arguments.of(VmClassesLastTest.class, false));
    }

    @ParameterizedTest
    @MethodSource("classes")
    void vmClassesGoLast(Class<?> c, boolean vm) {
        assertThat(VmClassesLast.isVm(c)).isEqualTo(vm);
    }
}
