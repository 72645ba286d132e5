package dev.serverlab.lab.experiment;

import dev.serverlab.lab.load.LabClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * One variant on one workload: the measured run (the median one when repeated), or why there is none.
 *
 * @param variant      what ran
 * @param workload     what was asked
 * @param repetitions  the requests of every repetition, in order; empty when the variant failed before any
 * @param chosen       the index of the repetition whose total is the median: the one reported
 * @param warmup       the warm-up before measuring, or null when there was none
 * @param server       the server's pid and details, or null when it did not start
 * @param error        why the run failed, or null
 * @param alone        how long one request took alone on this server, just before the run: the t (or w) of the ideal
 * @param aloneNote    what a reader should know about that t (see {@link AloneTime}), or null
 * @param ideal        the ideal total, when the model is known
 * @param clients      how many clients were asked to run
 */
public record RunResult(Variant variant, Workload workload, List<List<LabClient.Sample>> repetitions, int chosen,
                        Warmup warmup, Server server, String error, Duration alone, String aloneNote, Optional<IdealTotal> ideal,
                        int clients) {

    /** The warm-up: {@code requests} concurrent requests for {@code path}, answered in {@code micros}. */
    public record Warmup(String path, int requests, long micros, int failed) {
    }

    /** The server process that served the run. */
    public record Server(long pid, String details, long startupMicros) {
    }

    public static RunResult failed(Variant variant, Workload workload, Server server, String error,
                                   Optional<IdealTotal> ideal, int clients) {
        return new RunResult(variant, workload, List.of(), -1, null, server, error, workload.perRequest(), null, ideal, clients);
    }

    /** The index of the repetition with the median total (the lower middle one of an even count). */
    static int medianIndex(List<List<LabClient.Sample>> repetitions) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < repetitions.size(); i++) order.add(i);
        order.sort(Comparator.comparingLong(i -> RunStats.of(repetitions.get(i)).totalMicros()));
        return order.get((order.size() - 1) / 2);
    }

    /** The requests of the reported repetition; empty when nothing was measured. */
    public List<LabClient.Sample> samples() {
        return chosen < 0 ? List.of() : repetitions.get(chosen);
    }

    /** The total of every repetition, in order. */
    public List<Long> totalsMicros() {
        return repetitions.stream().map(r -> RunStats.of(r).totalMicros()).toList();
    }

    public boolean measured() {
        return !samples().isEmpty();
    }

    /** True when at least one request of the reported run was answered. */
    public boolean answered() {
        return measured() && stats().failed() < samples().size();
    }

    /** The measured numbers; only when {@link #measured()}. */
    public RunStats stats() {
        return RunStats.of(samples());
    }

    /**
     * Measured total over ideal total, when both exist and the ratio is possible: a total below the best the
     * model allows means the ideal's t was measured too large (see {@link #tMisMeasured()}), not a model that
     * beat itself, so no ratio is given then.
     */
    public Optional<Double> overIdeal() {
        return ratio().filter(r -> r >= 1.0);
    }

    /** True when the measured total came out below its ideal: the t (one request alone) was mis-measured. */
    public boolean tMisMeasured() {
        return ratio().filter(r -> r < 1.0).isPresent();
    }

    private Optional<Double> ratio() {
        if (!measured() || ideal.isEmpty() || ideal.get().total().isZero()) return Optional.empty();
        return Optional.of(stats().totalMicros() / (ideal.get().total().toNanos() / 1e3));
    }

    /** {@code threadpool+gil-cpu}: the run's name in file names. */
    public String slug() {
        return variant.label().replaceAll("[^A-Za-z0-9+._-]", "_") + "-" + workload.key();
    }
}
