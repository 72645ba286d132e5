package dev.serverlab.api.conformance;

import com.sun.management.OperatingSystemMXBean;
import org.opentest4j.TestAbortedException;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a CPU-timing shape (parallel or not) in attempts, and judges each attempt by how busy the rest of
 * the machine was while it ran. The machine is shared: when other processes hold the cores, neither
 * "parallel" nor "serial" can be seen, and such an attempt proves nothing either way.
 *
 * <ul>
 *   <li>an attempt that shows the shape passes;</li>
 *   <li>an attempt that fails while the rest of the machine was quiet fails the test;</li>
 *   <li>an attempt that fails while other processes used more than {@value #BUSY} of the machine is
 *       retried; if every attempt was disturbed, the test is aborted (reported as skipped), not passed.</li>
 * </ul>
 */
public final class ShapeAttempts {

    /** The share of the whole machine (all cores) that other processes may use during a fair attempt. */
    public static final double BUSY = 0.25;

    private static final OperatingSystemMXBean OS = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);

    private ShapeAttempts() {
    }

    /** One attempt: null when the shape showed, otherwise what was seen instead. */
    @FunctionalInterface
    public interface Attempt {
        String run() throws Exception;
    }

    public static void assertShape(String shape, int attempts, Attempt attempt) throws Exception {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            if (i > 0) Thread.sleep(500);
            OS.getCpuLoad();          // each call measures the time since the previous one
            OS.getProcessCpuLoad();
            String failure = attempt.run();
            double others = OS.getCpuLoad() - OS.getProcessCpuLoad();
            System.out.printf("%s, attempt %d: %s; other processes used %.0f%% of the machine%n",
                    shape, i + 1, failure == null ? "shown" : failure, 100 * others);
            if (failure == null) return;
            seen.add(failure + String.format(" (others %.0f%%)", 100 * others));
            if (others < BUSY) throw new AssertionError(shape + " not shown on a quiet machine: " + seen);
        }
        throw new TestAbortedException("other processes kept the machine busy; cannot judge " + shape + ": " + seen);
    }
}
