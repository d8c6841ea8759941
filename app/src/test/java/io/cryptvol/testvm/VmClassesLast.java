package io.cryptvol.testvm;

import java.util.Comparator;
import java.util.Set;

import org.junit.jupiter.api.ClassDescriptor;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;
import org.junit.jupiter.api.Tag;

/**
 * The run's class order (junit-platform.properties): every class tagged {@code vm} after every other class,
 * so that a plain {@code mvn test} reports a unit-test failure within minutes, before the VM classes boot
 * anything. Otherwise the order JUnit gives stays (the sort is stable). {@code -DexcludedGroups=vm} and
 * {@code -Dgroups=vm} select as usual.
 */
public final class VmClassesLast implements ClassOrderer {

    @Override
    public void orderClasses(ClassOrdererContext context) {
        context.getClassDescriptors().sort(Comparator.comparingInt(VmClassesLast::rank));
    }

    static int rank(ClassDescriptor d) {
        return isVm(d.getTestClass()) ? 1 : 0;
    }

    static boolean isVm(Class<?> c) {
        if (c.isAnnotationPresent(VmTest.class)) {
            return true;
        }
        for (Tag t : c.getAnnotationsByType(Tag.class)) {
            if (Set.of("vm").contains(t.value())) {
                return true;
            }
        }
        return false;
    }
}
