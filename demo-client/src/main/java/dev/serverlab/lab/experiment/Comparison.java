package dev.serverlab.lab.experiment;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A whole {@code ./lab compare}: where and how it ran, the calibration, and one result per variant per
 * workload. The report, results.json and requests.csv are all written from this.
 */
public record Comparison(Instant date, Machine machine, Settings settings, Calibration calibration,
                         List<Workload> workloads, List<RunResult> runs, Duration elapsed) {

    /** The machine the numbers belong to. */
    public record Machine(int cores, long memoryBytes, String os, String java) {

        public static Machine current() {
            long memory = 0;
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                memory = os.getTotalMemorySize();
            }
            return new Machine(Runtime.getRuntime().availableProcessors(), memory,
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        }

        /** "2 cores, 24 GiB, Linux 6.1 amd64, OpenJDK 64-Bit Server VM 25+36". */
        public String describe() {
            return cores + " core" + (cores == 1 ? "" : "s") + ", " + Math.round(memoryBytes / (double) (1L << 30)) + " GiB, "
                    + os + ", " + java;
        }
    }

    /** What the run was asked to do. */
    public record Settings(int clients, int repeat, int warmup, Variant.Counts counts, Duration timeout, String command) {
    }

    /** The runs of one workload, in line-up order. */
    public List<RunResult> runsOf(Workload workload) {
        return runs.stream().filter(r -> r.workload().equals(workload)).toList();
    }
}
