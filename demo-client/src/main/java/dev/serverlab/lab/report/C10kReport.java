package dev.serverlab.lab.report;

import dev.serverlab.lab.load.C10kRun;

import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Locale;

/**
 * How {@code ./lab c10k} shows a result: a few lines for people, or one JSON object for scripts
 * ({@link Output}; format {@value #FORMAT}, fields in demo-client/BENCH.md). Numbers are not rounded.
 */
public final class C10kReport {

    /** Changes when a field changes meaning or goes away; new fields may be added without a change. */
    public static final String FORMAT = "serverlab-c10k/1";

    /** What the command line said, beyond the plan. */
    public record Settings(String engine, String timeout, String connectTimeout, List<String> serverJvmArgs) {
    }

    /** Every setting of the run, as given or defaulted. */
    public record Plan(String url, String path, String engine, int connections, int sources, String timeout, String connectTimeout,
                       Long serverPid, List<String> serverJvmArgs) {
    }

    /** Memory figures are KiB, -1 when unknown; latencies are microseconds. */
    public record Output(String format, String date, Environment.Jdk java, Environment.Machine machine, Plan settings,
                         String url, String engine, int connections, int sources, int connected, double connectSeconds,
                         double totalSeconds, int ok, Failures failures, BenchReport.Percentiles latencyMicros,
                         long idleRssKiB, long peakRssKiB, double rssPerConnectionKiB) {
    }

    public record Failures(int connect, int connectTimeout, int reset, int timeout, int wrongAnswer, int total) {
    }

    private C10kReport() {
    }

    public static Output output(C10kRun.Result r, Settings given, Environment env) {
        C10kRun.Plan p = r.plan();
        C10kRun.Failures f = r.failures();
        Plan settings = new Plan(p.target().url(), p.target().path(), given.engine(), p.connections(), p.sources(), given.timeout(),
                given.connectTimeout(), p.serverPid() < 0 ? null : p.serverPid(), given.serverJvmArgs());
        Histogram latency = r.latency();
        return new Output(FORMAT, env.date(), env.java(), env.machine(), settings, p.target().url(), given.engine(), p.connections(),
                p.sources(), r.connected(), r.connectSeconds(), r.totalSeconds(), r.ok(),
                new Failures(f.connect(), f.connectTimeout(), f.reset(), f.timeout(), f.wrongAnswer(), f.total()),
                BenchReport.Percentiles.of(latency), r.idleRssKiB(), r.peakRssKiB(), r.rssPerConnectionKiB());
    }

    /** The result as one line of JSON. */
    public static String json(C10kRun.Result r, Settings given) {
        return Json.line(output(r, given, Environment.now()));
    }

    public static String text(C10kRun.Result r, String engine) {
        C10kRun.Plan plan = r.plan();
        C10kRun.Failures f = r.failures();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s%s: %,d connections, GET %s%n", plan.target().url(), engine == null ? "" : " (" + engine + ")",
                plan.connections(), plan.target().path()));
        s.append(String.format(Locale.ROOT, "  connected   %,d in %.2f s%n", r.connected(), r.connectSeconds()));
        s.append(String.format(Locale.ROOT, "  answered    %,d correct of %,d; the last after %.2f s%n", r.ok(), plan.connections(), r.totalSeconds()));
        if (r.latency().getTotalCount() > 0) {
            s.append("  latency     p50 ").append(BenchReport.micros(r.latency().getValueAtPercentile(50)))
                    .append("  p99 ").append(BenchReport.micros(r.latency().getValueAtPercentile(99)))
                    .append("  max ").append(BenchReport.micros(r.latency().getMaxValue())).append('\n');
        }
        s.append("  failures    ").append(f.total() == 0 ? "none" : String.format(Locale.ROOT,
                "connect %,d, connect timeout %,d, reset %,d, timeout %,d, wrong answer %,d", f.connect(), f.connectTimeout(),
                f.reset(), f.timeout(), f.wrongAnswer())).append('\n');
        if (r.firstWrong() != null) s.append("  first wrong answer: ").append(r.firstWrong()).append('\n');
        if (r.idleRssKiB() >= 0) {
            s.append(String.format(Locale.ROOT, "  server RSS  %,d KiB idle, %,d KiB at the peak: %.1f KiB per connection%n",
                    r.idleRssKiB(), r.peakRssKiB(), r.rssPerConnectionKiB()));
        }
        return s.toString();
    }
}
