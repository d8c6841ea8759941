package io.cryptvol.testvm;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import io.cryptvol.sandbox.QemuInstance;

/**
 * Boots ONE test instance per test run, lazily, on the first {@link VmTest} class, and stops it when the
 * run ends (root store + CloseableResource). Each class starts with no disks attached and no mappings open.
 * If the instance cannot be built or booted, every VM test class fails with the reason: never skipped.
 */
public final class TestVmExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TestVmExtension.class);

    /** Lives in the root store: started once, closed by JUnit at the end of the run. */
    static final class Shared implements ExtensionContext.Store.CloseableResource {
        final TestVm vm;
        final RuntimeException bootFailure;

        Shared() {
            QemuInstance instance = new QemuInstance();
            TestVm started = null;
            RuntimeException failure = null;
            long t0 = System.nanoTime();
            try {
                instance.start();
                started = new TestVm(instance);
                System.out.printf("test instance: booted in %.1f s (image %s, %s; %.1f s with image check/build)%n",
                        instance.bootTime().toMillis() / 1000.0, instance.imageDir().getFileName(), instance,
                        (System.nanoTime() - t0) / 1e9);
            } catch (RuntimeException e) {
                failure = e;
                instance.stop();
                System.out.println("test instance: FAILED to start: " + e.getMessage());
            }
            this.vm = started;
            this.bootFailure = failure;
        }

        @Override
        public void close() {
            if (vm != null) {
                System.out.printf("test instance: stopping (qemu RSS %d MiB)%n", vm.instance().qemuRssBytes() >> 20);
                vm.closeExecutor();
                vm.reset();
                vm.instance().stop();
            }
        }
    }

    private static TestVm vm(ExtensionContext context) {
        Shared shared = context.getRoot().getStore(NS).getOrComputeIfAbsent(Shared.class, k -> new Shared(), Shared.class);
        if (shared.bootFailure != null) {
            throw new IllegalStateException("the test instance could not be built or booted: "
                    + shared.bootFailure.getMessage(), shared.bootFailure);
        }
        return shared.vm;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        vm(context).reset();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        vm(context).reset();
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        Class<?> t = p.getParameter().getType();
        return t == TestVm.class || t == QemuInstance.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        TestVm vm = vm(e);
        return p.getParameter().getType() == TestVm.class ? vm : vm.instance();
    }
}
