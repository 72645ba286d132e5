package dev.serverlab.lab.experiment;

import dev.serverlab.lab.load.LabClient;

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
 * @param peakInService       the most requests between started and finished at once (see {@link #peakInService})
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
                median(latencies),
                latencies.length == 0 ? 0 : latencies[latencies.length - 1],
                median(service), maxWait, workers, peakInService(ok), samples.size() - ok.size());
    }

    /**
     * The most requests in service at once, from their [started, finished] intervals, counting only levels held
     * for at least 2% of the span from the first start to the last finish. An event loop that finishes an
     * offloaded request a few milliseconds after its pool thread took the next one is not "3 at once" on a
     * pool of 2: such hand-over blips are left out. A request that starts exactly when another finishes does
     * not overlap it.
     */
    static int peakInService(List<LabClient.Sample> samples) {
        List<long[]> events = new ArrayList<>();
        for (LabClient.Sample s : samples) {
            if (!s.hasServerTimes()) continue;
            events.add(new long[] {s.startedMicros(), +1});
            events.add(new long[] {Math.max(s.startedMicros(), s.finishedMicros()), -1});
        }
        if (events.isEmpty()) return 0;
        long[][] sorted = events.toArray(long[][]::new);
        Arrays.sort(sorted, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        long span = sorted[sorted.length - 1][0] - sorted[0][0];
        double held = span * 0.02;
        int now = 0;
        int peak = 1;
        for (int i = 0; i < sorted.length - 1; i++) {
            now += (int) sorted[i][1];
            if (sorted[i + 1][0] - sorted[i][0] >= held) peak = Math.max(peak, now);
        }
        return peak;
    }

    /** The median of sorted values: the middle one, or the mean of the middle two. */
    public static double median(long[] sorted) {
        if (sorted.length == 0) return 0;
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }
}
