package dev.serverlab.lab.report;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Where a measurement was taken, as bench and c10k write it into their JSON: a figure means little
 * without the machine and the JDK it came from.
 *
 * @param date when the run ended, UTC, to the second
 */
public record Environment(String date, Jdk java, Machine machine) {

    /** The JDK of the lab's own JVM (the load generator); a server started with --engine runs on the same one. */
    public record Jdk(String version, String vendor, String vm) {
    }

    /** @param memoryBytes physical memory; -1 where the JDK cannot tell */
    public record Machine(int cores, long memoryBytes, String os, String kernel, String arch) {
    }

    public static Environment now() {
        long memory = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            memory = os.getTotalMemorySize();
        }
        return new Environment(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                new Jdk(System.getProperty("java.version"), System.getProperty("java.vendor"), System.getProperty("java.vm.name")),
                new Machine(Runtime.getRuntime().availableProcessors(), memory, System.getProperty("os.name"),
                        System.getProperty("os.version"), System.getProperty("os.arch")));
    }
}
