package io.cryptvol.testvm;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that runs against the shared test instance (a real kernel in qemu). Tagged {@code vm}
 * ({@code mvn test -Dgroups=vm} runs only these; {@code -DexcludedGroups=vm} skips them). Test methods,
 * constructors and {@code @BeforeAll}/{@code @AfterAll} methods can take a {@link TestVm} parameter.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Tag("vm")
@ExtendWith({VmClassTimer.class, TestVmExtension.class})
public @interface VmTest {
}
