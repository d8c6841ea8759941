package io.cryptvol.testvm;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Prints each VM class's wall time ("vm-class NAME took N s"), from before its first callback to after its
 * last, so that CI's log shows where the VM minutes go. Part of {@link VmTest}; classes tagged vm that boot
 * their own instance add it with {@code @ExtendWith}.
 */
public final class VmClassTimer implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(VmClassTimer.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("t0", System.nanoTime());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Long t0 = context.getStore(NS).get("t0", Long.class);
        if (t0 != null) {
            System.out.printf("vm-class %s took %.0f s%n", context.getRequiredTestClass().getSimpleName(),
                    (System.nanoTime() - t0) / 1e9);
        }
    }
}
