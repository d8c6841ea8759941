package io.cryptvol.aws;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many EC2 requests went out, per operation ("DescribeVolumes"), counted by an SDK interceptor on every
 * client {@link AwsClients} makes. Each HTTP attempt counts (a throttled call retried twice is three), as
 * the endpoint sees them. {@code --debug} prints and clears them at the end of each command.
 */
public final class Ec2CallCounts implements ExecutionInterceptor {
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        counts.computeIfAbsent(op == null ? "?" : op, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Calls so far, by operation name (sorted). */
    public Map<String, Integer> snapshot() {
        Map<String, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> {
            if (v.get() > 0) {
                out.put(k, v.get());
            }
        });
        return out;
    }

    /** {@link #snapshot()}, then starts again from zero. */
    public synchronized Map<String, Integer> drain() {
        Map<String, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> {
            int n = v.getAndSet(0);
            if (n > 0) {
                out.put(k, n);
            }
        });
        return out;
    }

    public int total() {
        return snapshot().values().stream().mapToInt(Integer::intValue).sum();
    }

    /** "12 EC2 calls: AttachVolume 4, CreateVolume 4, DescribeInstances 1, DescribeVolumes 3". */
    public static String line(Map<String, Integer> unsorted) {
        Map<String, Integer> counts = new TreeMap<>(unsorted);
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder b = new StringBuilder(total + " EC2 call" + (total == 1 ? "" : "s"));
        String sep = ": ";
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            b.append(sep).append(e.getKey()).append(' ').append(e.getValue());
            sep = ", ";
        }
        return b.toString();
    }
}
