package dev.serverlab.lab.report;

import dev.serverlab.lab.experiment.RunStats;
import dev.serverlab.lab.load.LabClient;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Prints a run as the original experiment's logs did, one line per request, then a summary. */
public final class RunReport {

    private RunReport() {
    }

    public static void print(PrintWriter out, List<LabClient.Sample> samples) {
        long t0 = samples.get(0).releasedMicros();
        out.println("client   connect  accepted   started  finished   latency  status  served by");
        for (LabClient.Sample s : samples) {
            if (s.error() != null) {
                out.printf("%6d  %8s  %8s  %8s  %8s  %8s  failed  %s%n", s.client(), ms(s.connectedMicros(), t0), "-", "-", "-",
                        ms(s.doneMicros(), t0), s.error());
                continue;
            }
            boolean timed = s.hasServerTimes();
            out.printf("%6d  %8s  %8s  %8s  %8s  %8s  %6d  %s%n", s.client(), ms(s.connectedMicros(), t0),
                    timed ? ms(s.acceptedMicros(), t0) : "-", timed ? ms(s.startedMicros(), t0) : "-",
                    timed ? ms(s.finishedMicros(), t0) : "-", ms(s.doneMicros(), t0), s.status(),
                    s.servedBy() != null ? s.servedBy() : "-");
        }
        long[] latencies = samples.stream().mapToLong(LabClient.Sample::latencyMicros).sorted().toArray();
        long total = samples.stream().mapToLong(LabClient.Sample::doneMicros).max().orElse(t0) - t0;
        long failed = samples.stream().filter(s -> !s.ok()).count();
        long workers = samples.stream().map(LabClient.Sample::servedBy).filter(Objects::nonNull).distinct().count();
        out.printf("total %.3f s; latency min %.3f s, median %.3f s, max %.3f s; %d worker%s served%s%n",
                total / 1e6, latencies[0] / 1e6, RunStats.median(latencies) / 1e6, latencies[latencies.length - 1] / 1e6,
                workers, workers == 1 ? "" : "s", failed == 0 ? "" : "; " + failed + " failed");
        out.println("(times in ms from the moment all clients were released; server times come from its timing headers)");
    }

    private static String ms(long micros, long t0) {
        if (micros <= 0) return "-";
        return String.format("%.1f", (micros - t0) / 1000.0);
    }

    static long[] sortedCopy(long[] values) {
        long[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }
}
