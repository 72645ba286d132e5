package dev.serverlab.lab;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What one run of N concurrent requests measured. Times are microseconds; latencies are from the moment the
 * clients were released to the moment each answer arrived.
 *
 * @param totalMicros         release to the last answer
 * @param minLatencyMicros    the quickest answer
 * @param medianLatencyMicros the median answer
 * @param maxLatencyMicros    the slowest answer (equal to the total when it succeeded)
 * @param medianServiceMicros the median time from started to finished on the server
 * @param maxWaitMicros       the longest a request waited, from connect to the server starting it
 * @param workers             distinct {@code X-Served-By} values: pids or threads
 * @param peakInService       the most requests between started and finished at one instant
 * @param failed              requests that failed or got no 2xx answer
 */
public record RunStats(long totalMicros, long minLatencyMicros, double medianLatencyMicros, long maxLatencyMicros,
                       double medianServiceMicros, long maxWaitMicros, int workers, int peakInService, int failed) {

    public static RunStats of(List<LabClient.Sample> samples) {
        if (samples.isEmpty()) throw new IllegalArgumentException("no samples");
        long released = samples.stream().mapToLong(LabClient.Sample::releasedMicros).min().orElseThrow();
        long total = samples.stream().mapToLong(LabClient.Sample::doneMicros).max().orElseThrow() - released;
        List<LabClient.Sample> ok = samples.stream().filter(LabClient.Sample::ok).toList();
        long[] latencies = ok.stream().mapToLong(LabClient.Sample::latencyMicros).sorted().toArray();
        long[] service = ok.stream().filter(LabClient.Sample::hasServerTimes)
                .mapToLong(s -> s.finishedMicros() - s.startedMicros()).sorted().toArray();
        long maxWait = ok.stream().filter(LabClient.Sample::hasServerTimes)
                .mapToLong(s -> Math.max(0, s.startedMicros() - s.connectedMicros())).max().orElse(0);
        int workers = (int) ok.stream().map(LabClient.Sample::servedBy).filter(Objects::nonNull).distinct().count();
        return new RunStats(total,
                latencies.length == 0 ? 0 : latencies[0],
                RunReport.median(latencies),
                latencies.length == 0 ? 0 : latencies[latencies.length - 1],
                RunReport.median(service), maxWait, workers, peakInService(ok), samples.size() - ok.size());
    }

    /**
     * The most requests in service at one instant, from their [started, finished] intervals. A request that
     * starts exactly when another finishes does not overlap it.
     */
    static int peakInService(List<LabClient.Sample> samples) {
        List<long[]> events = new ArrayList<>();
        for (LabClient.Sample s : samples) {
            if (!s.hasServerTimes()) continue;
            events.add(new long[] {s.startedMicros(), +1});
            events.add(new long[] {Math.max(s.startedMicros(), s.finishedMicros()), -1});
        }
        long[][] sorted = events.toArray(long[][]::new);
        Arrays.sort(sorted, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        int now = 0;
        int peak = 0;
        for (long[] e : sorted) {
            now += (int) e[1];
            peak = Math.max(peak, now);
        }
        return peak;
    }
}
