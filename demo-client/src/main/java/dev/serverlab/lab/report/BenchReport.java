package dev.serverlab.lab.report;

import dev.serverlab.lab.load.LoadGenerator;

import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.Locale;

/**
 * How {@code ./lab bench} shows a result: a few lines for people, or one JSON object for scripts.
 *
 * <p>The JSON fields: {@code url}, {@code engine} (null for --url), {@code mode} ("closed" or "open"),
 * {@code rate} (null in the closed loop), {@code connections}, {@code threads}, {@code warmupSeconds},
 * {@code durationSeconds}, {@code requests} and {@code requestsPerSecond} (answers in the measured window),
 * {@code latencyMicros} and {@code serviceTimeMicros} (each {@code p50, p90, p99, p999, max, mean}),
 * {@code errors} ({@code connect, timeout, reset, non2xx, protocol, total}), and the whole run's
 * {@code totalSent}, {@code totalAnswered} and {@code unfinished}.
 */
public final class BenchReport {

    private BenchReport() {
    }

    public static String text(LoadGenerator.Result r, String engine) {
        LoadGenerator.Plan plan = r.plan();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s%s: %d connections, %d threads, %s, %s measured%n", plan.target().url(),
                engine == null ? "" : " (" + engine + ")", plan.connections(), plan.threads(),
                plan.openLoop() ? String.format(Locale.ROOT, "open loop at %,.0f req/s", plan.rate()) : "closed loop",
                seconds(plan.duration())));
        s.append(String.format(Locale.ROOT, "  requests    %,d in %.1f s = %,.0f req/s%n", r.responses(), r.seconds(), r.requestsPerSecond()));
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

    public static String json(LoadGenerator.Result r, String engine) {
        LoadGenerator.Plan plan = r.plan();
        LoadGenerator.Errors e = r.errors();
        return "{" + field("url", quote(plan.target().url())) + "," + field("engine", engine == null ? "null" : quote(engine))
                + "," + field("mode", quote(plan.openLoop() ? "open" : "closed"))
                + "," + field("rate", plan.openLoop() ? number(plan.rate()) : "null")
                + "," + field("connections", Integer.toString(plan.connections()))
                + "," + field("threads", Integer.toString(plan.threads()))
                + "," + field("warmupSeconds", number(plan.warmup().toNanos() / 1e9))
                + "," + field("durationSeconds", number(r.seconds()))
                + "," + field("requests", Long.toString(r.responses()))
                + "," + field("requestsPerSecond", number(r.requestsPerSecond()))
                + "," + field("latencyMicros", percentilesJson(r.latency()))
                + "," + field("serviceTimeMicros", percentilesJson(r.serviceTime()))
                + "," + field("errors", "{" + field("connect", Long.toString(e.connect())) + "," + field("timeout", Long.toString(e.timeout()))
                        + "," + field("reset", Long.toString(e.reset())) + "," + field("non2xx", Long.toString(e.non2xx()))
                        + "," + field("protocol", Long.toString(e.protocol())) + "," + field("total", Long.toString(e.total())) + "}")
                + "," + field("totalSent", Long.toString(r.totalSent()))
                + "," + field("totalAnswered", Long.toString(r.totalAnswered()))
                + "," + field("unfinished", Long.toString(r.unfinished())) + "}";
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

    private static String percentilesJson(Histogram h) {
        boolean empty = h.getTotalCount() == 0;
        return "{" + field("p50", Long.toString(empty ? 0 : h.getValueAtPercentile(50)))
                + "," + field("p90", Long.toString(empty ? 0 : h.getValueAtPercentile(90)))
                + "," + field("p99", Long.toString(empty ? 0 : h.getValueAtPercentile(99)))
                + "," + field("p999", Long.toString(empty ? 0 : h.getValueAtPercentile(99.9)))
                + "," + field("max", Long.toString(empty ? 0 : h.getMaxValue()))
                + "," + field("mean", number(empty ? 0 : h.getMean())) + "}";
    }

    private static String field(String name, String value) {
        return quote(name) + ":" + value;
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
