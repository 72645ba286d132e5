package dev.serverlab.lab.report;

import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.load.LoadGenerator;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How {@code ./lab bench} shows a result: a few lines for people, the full percentile spectrum, an
 * HdrHistogram log, or one JSON object for scripts ({@link Output}; format {@value #FORMAT}, fields in
 * demo-client/BENCH.md). Numbers in the JSON are not rounded; latencies are microseconds.
 */
public final class BenchReport {

    /** Changes when a field changes meaning or goes away; new fields may be added without a change. */
    public static final String FORMAT = "serverlab-bench/1";

    /** What the command line said, beyond the plan: how the JSON names the run's settings. */
    public record Settings(String engine, String warmup, String maxWarmup, long serverPid, List<String> serverJvmArgs) {
    }

    /** The JSON document. The fields before {@code settings} say where and when; the rest, what was measured. */
    public record Output(String format, String date, Environment.Jdk java, Environment.Machine machine, Plan settings,
                         String url, String engine, String mode, Double rate, int connections, int threads,
                         double warmupSeconds, boolean warmupSteady, double durationSeconds,
                         long requests, double requestsPerSecond, Double serverCpuSeconds, Double serverCpuMicrosPerRequest,
                         Percentiles latencyMicros, Percentiles serviceTimeMicros, ErrorCounts errors,
                         long totalSent, long totalAnswered, long unfinished) {
    }

    /** Every setting of the run, as given or defaulted. */
    public record Plan(String url, String path, String engine, String mode, Double rate, int connections, int threads,
                       String warmup, String maxWarmup, double warmupLeastSeconds, double warmupMostSeconds,
                       double durationSeconds, double timeoutSeconds, Long serverPid, List<String> serverJvmArgs) {
    }

    /** @param p9999 the 99.99th percentile */
    public record Percentiles(long count, long min, long p50, long p75, long p90, long p99, long p999, long p9999, long max,
                              double mean, double stddev) {
        static Percentiles of(Histogram h) {
            if (h.getTotalCount() == 0) return new Percentiles(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            return new Percentiles(h.getTotalCount(), h.getMinValue(), h.getValueAtPercentile(50), h.getValueAtPercentile(75),
                    h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
                    h.getValueAtPercentile(99.99), h.getMaxValue(), h.getMean(), h.getStdDeviation());
        }
    }

    public record ErrorCounts(long connect, long timeout, long reset, long non2xx, long protocol, long total) {
        static ErrorCounts of(LoadGenerator.Errors e) {
            return new ErrorCounts(e.connect(), e.timeout(), e.reset(), e.non2xx(), e.protocol(), e.total());
        }
    }

    private BenchReport() {
    }

    public static String text(LoadGenerator.Result r, String engine) {
        LoadGenerator.Plan plan = r.plan();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s%s: %d connections, %d threads, %s, %s measured%n", plan.target().url(),
                engine == null ? "" : " (" + engine + ")", plan.connections(), plan.threads(),
                plan.openLoop() ? String.format(Locale.ROOT, "open loop at %,.0f req/s", plan.rate()) : "closed loop",
                seconds(plan.duration())));
        s.append(String.format(Locale.ROOT, "  warm-up     %.1f s%s%n", r.warmupSeconds(), plan.warmup().isFixed() ? ""
                : r.warmupSteady() ? ", until the rate was steady" : ", and the rate was still not steady"));
        s.append(String.format(Locale.ROOT, "  requests    %,d in %.1f s = %,.0f req/s%n", r.responses(), r.seconds(), r.requestsPerSecond()));
        if (!Double.isNaN(r.serverCpuMicrosPerRequest())) {
            s.append(String.format(Locale.ROOT, "  server CPU  %.1f us per request (%.2f s user + system of the server's processes)%n",
                    r.serverCpuMicrosPerRequest(), r.serverCpuNanos() / 1e9));
        }
        s.append("  latency     ").append(percentiles(r.latency()))
                .append(plan.openLoop() ? "   (from the intended send time)" : "").append('\n');
        if (plan.openLoop()) s.append("  service     ").append(percentiles(r.serviceTime())).append("   (from the actual send)\n");
        LoadGenerator.Errors e = r.errors();
        s.append("  errors      ").append(e.total() == 0 ? "none" : String.format(Locale.ROOT,
                "connect %,d, timeout %,d, reset %,d, non-2xx %,d, protocol %,d", e.connect(), e.timeout(), e.reset(), e.non2xx(), e.protocol()))
                .append('\n');
        if (plan.openLoop() && r.requestsPerSecond() < plan.rate() * 0.95) {
            s.append(String.format(Locale.ROOT, "  note        the server answered %.0f%% of the rate asked: it is past its capacity%n",
                    100 * r.requestsPerSecond() / plan.rate()));
        }
        if (r.unfinished() > 0) s.append(String.format(Locale.ROOT, "  unfinished  %,d requests were still unanswered at the end%n", r.unfinished()));
        return s.toString();
    }

    public static Output output(LoadGenerator.Result r, Settings given, Environment env) {
        LoadGenerator.Plan plan = r.plan();
        Double rate = plan.openLoop() ? plan.rate() : null;
        String mode = plan.openLoop() ? "open" : "closed";
        Plan settings = new Plan(plan.target().url(), plan.target().path(), given.engine(), mode, rate, plan.connections(), plan.threads(),
                given.warmup(), plan.warmup().isFixed() ? null : given.maxWarmup(), inSeconds(plan.warmup().least()),
                inSeconds(plan.warmup().most()), inSeconds(plan.duration()), inSeconds(plan.timeout()),
                given.serverPid() < 0 ? null : given.serverPid(), given.serverJvmArgs());
        double cpuPerRequest = r.serverCpuMicrosPerRequest();
        return new Output(FORMAT, env.date(), env.java(), env.machine(), settings, plan.target().url(), given.engine(), mode, rate,
                plan.connections(), plan.threads(), r.warmupSeconds(), r.warmupSteady(), r.seconds(), r.responses(), r.requestsPerSecond(),
                r.serverCpuNanos() < 0 ? null : r.serverCpuNanos() / 1e9, Double.isNaN(cpuPerRequest) ? null : cpuPerRequest,
                Percentiles.of(r.latency()), Percentiles.of(r.serviceTime()), ErrorCounts.of(r.errors()),
                r.totalSent(), r.totalAnswered(), r.unfinished());
    }

    /** The result as one line of JSON. */
    public static String json(LoadGenerator.Result r, Settings given) {
        return Json.line(output(r, given, Environment.now()));
    }

    /**
     * The latency spectrum in HdrHistogram's standard layout (value, percentile, count, 1/(1-percentile)),
     * in milliseconds as wrk2 prints it: the layout HdrHistogram's plotter reads.
     */
    public static void percentileDistribution(PrintWriter out, LoadGenerator.Result r) {
        out.println();
        out.println(r.plan().openLoop() ? "  Latency distribution (from the intended send time; ms):" : "  Latency distribution (ms):");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            r.latency().outputPercentileDistribution(ps, 1000.0);
        }
        out.print(bytes.toString(StandardCharsets.UTF_8));
    }

    /** Writes the measured latencies (microseconds) as an HdrHistogram log, one interval for the measured window. */
    public static void writeHistogramLog(Path file, LoadGenerator.Result r) {
        try (PrintStream ps = new PrintStream(file.toFile(), StandardCharsets.UTF_8)) {
            HistogramLogWriter writer = new HistogramLogWriter(ps);
            writer.outputLogFormatVersion();
            long now = System.currentTimeMillis();
            long start = now - (long) (r.seconds() * 1000);
            writer.outputStartTime(start);
            writer.setBaseTime(start);
            writer.outputComment("serverlab bench " + r.plan().target().url() + "; values in microseconds");
            writer.outputLegend();
            Histogram h = r.latency().copy();
            h.setStartTimeStamp(start);
            h.setEndTimeStamp(now);
            writer.outputIntervalHistogram(h);
        } catch (IOException e) {
            throw new UserError(ExitCode.USAGE, "cannot write the histogram log " + file + ": " + e.getMessage());
        }
    }

    private static double inSeconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    public static String seconds(Duration d) {
        double s = d.toNanos() / 1e9;
        return s == Math.rint(s) ? String.format(Locale.ROOT, "%.0f s", s) : String.format(Locale.ROOT, "%.3g s", s);
    }

    /** A latency in microseconds, in the unit that reads best. */
    public static String micros(long us) {
        if (us < 1_000) return us + " us";
        if (us < 1_000_000) return String.format(Locale.ROOT, "%.2f ms", us / 1e3);
        return String.format(Locale.ROOT, "%.2f s", us / 1e6);
    }

    private static String percentiles(Histogram h) {
        if (h.getTotalCount() == 0) return "no answers";
        return "p50 " + micros(h.getValueAtPercentile(50)) + "  p90 " + micros(h.getValueAtPercentile(90))
                + "  p99 " + micros(h.getValueAtPercentile(99)) + "  p99.9 " + micros(h.getValueAtPercentile(99.9))
                + "  max " + micros(h.getMaxValue());
    }
}
