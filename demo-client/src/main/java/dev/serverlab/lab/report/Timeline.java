package dev.serverlab.lab.report;

import dev.serverlab.lab.console.Format;
import dev.serverlab.lab.experiment.RunResult;
import dev.serverlab.lab.experiment.RunStats;
import dev.serverlab.lab.experiment.Story;
import dev.serverlab.lab.load.LabClient;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws runs as SVG timelines: one horizontal bar per request, from the moment its client connected to the
 * moment its answer arrived. The grey part is waiting (connected, but the server has not started on it:
 * a backlog, a queue, a busy loop); the coloured part is being served, one colour per worker. Rows are
 * sorted by the time the server started each request, so a serial server draws a staircase, a pool of 4
 * draws steps of 4, and an event loop waiting on timers draws one column.
 *
 * <p>The SVG is self-contained (no scripts, no external fonts, presentation attributes rather than CSS), so
 * the same markup is a standalone {@code .svg} file and an inline figure in the XHTML report. Each bar is a
 * {@code <g class="request">} with a {@code <title>} that a browser shows on hover.
 */
public final class Timeline {

    public static final String SVG_NS = "http://www.w3.org/2000/svg";
    static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
            "#ff9da7", "#9c755f", "#17becf"};
    static final String WAITING = "#dcdcdc";
    static final String FAILED = "#d62728";

    private static final int WIDTH = 900;
    private static final int LEFT = 44;
    private static final int RIGHT = 20;

    private Timeline() {
    }

    /** A standalone picture of one run, on a time axis that ends at {@code scaleSeconds}. */
    static String single(RunResult run, double scaleSeconds, int cores) {
        Scale x = new Scale(LEFT, WIDTH - RIGHT, scaleSeconds);
        StringBuilder body = new StringBuilder();
        int y = 14;
        text(body, 10, y, 14, "bold", run.variant().label() + " · " + run.workload().kind().title + " "
                + run.workload().path() + " · " + run.clients() + " clients");
        y += 17;
        text(body, 10, y, 12, "normal", headline(run));
        y += 18;
        int rowsTop = y;
        y = bars(body, run, x, y, 13, 3, true);
        StringBuilder grid = new StringBuilder();
        y = axis(grid, body, x, rowsTop, y, idealLine(run));
        y = legend(body, workers(run), y + 6);
        return svg(grid.append(body), y + 8);
    }

    /** Every run of one workload stacked on one time axis: the experiment at a glance. */
    static String combined(List<RunResult> runs, double scaleSeconds, String title) {
        Scale x = new Scale(LEFT + 96, WIDTH - RIGHT, scaleSeconds);
        StringBuilder body = new StringBuilder();
        int y = 16;
        text(body, 10, y, 15, "bold", title);
        y += 16;
        text(body, 10, y, 12, "normal", "One bar per request, from connect to answer: grey while waiting, "
                + "coloured while being served (a colour per worker). Dashed line: the ideal total.");
        y += 10;
        int top = y;
        for (RunResult run : runs) {
            y += 16;
            text(body, 10, y, 12, "bold", run.variant().label());
            text(body, 10 + 96, y, 11, "normal", headline(run));
            y += 5;
            int rowsTop = y;
            if (run.measured()) {
                y = bars(body, run, x, y, 7, 2, false);
            } else {
                y += 4;
                text(body, x.left, y + 8, 11, "normal", "did not run: " + Story.firstLine(run.error()));
                y += 12;
            }
            int rowsBottom = y;
            idealLine(run).ifPresent(ideal -> dashed(body, x.at(ideal), rowsTop, rowsBottom));
            y += 4;
        }
        StringBuilder grid = new StringBuilder();
        y = axis(grid, body, x, top, y, java.util.Optional.empty());
        return svg(grid.append(body), y + 8);
    }

    /** "total 5.12 s, ideal 4.90 s (1.04 ×), at most 4 in service at once". */
    static String headline(RunResult run) {
        if (!run.measured()) return "did not run";
        if (!run.answered()) return "no request was answered: " + Story.firstLine(run.error());
        RunStats s = run.stats();
        StringBuilder h = new StringBuilder(run.variant().model().describe()).append(" — total ").append(Format.micros(s.totalMicros()));
        run.ideal().ifPresent(i -> h.append(", ideal ").append(Format.seconds(i.total())));
        run.overIdeal().ifPresent(r -> h.append(" (").append(Format.number(r, 2)).append(" ×)"));
        h.append(s.peakInService() <= 1 ? ", one at a time" : ", up to " + s.peakInService() + " at once");
        if (s.failed() > 0) h.append(", ").append(s.failed()).append(" failed");
        return h.toString();
    }

    /** The workers in the order they first started a request, with their colours. */
    static Map<String, String> workers(RunResult run) {
        Map<String, String> colours = new LinkedHashMap<>();
        for (LabClient.Sample s : byStart(run.samples())) {
            if (s.servedBy() != null && !colours.containsKey(s.servedBy())) {
                colours.put(s.servedBy(), PALETTE[colours.size() % PALETTE.length]);
            }
        }
        return colours;
    }

    static List<LabClient.Sample> byStart(List<LabClient.Sample> samples) {
        List<LabClient.Sample> sorted = new ArrayList<>(samples);
        sorted.sort(Comparator.comparing((LabClient.Sample s) -> !s.ok())
                .thenComparingLong(s -> s.hasServerTimes() ? s.startedMicros() : s.doneMicros())
                .thenComparingInt(LabClient.Sample::client));
        return sorted;
    }

    private static int bars(StringBuilder out, RunResult run, Scale x, int y, int height, int gap, boolean labels) {
        Map<String, String> colours = workers(run);
        long t0 = run.samples().stream().mapToLong(LabClient.Sample::releasedMicros).min().orElse(0);
        for (LabClient.Sample s : byStart(run.samples())) {
            double connect = (s.connectedMicros() > 0 ? s.connectedMicros() : s.releasedMicros()) - t0;
            double done = s.doneMicros() - t0;
            out.append("<g class=\"request\" data-client=\"").append(s.client()).append("\">");
            out.append("<title>").append(xml(tooltip(s, t0))).append("</title>");
            if (labels) text(out, 8, y + height - 2, 10, "normal", "#" + s.client());
            if (!s.ok() || !s.hasServerTimes()) {
                rect(out, "failed", x.at(connect / 1e6), y, x.at(done / 1e6) - x.at(connect / 1e6), height, "none", FAILED);
            } else {
                double started = s.startedMicros() - t0;
                double finished = Math.max(s.finishedMicros(), s.startedMicros()) - t0;
                rect(out, "waiting", x.at(connect / 1e6), y, x.at(started / 1e6) - x.at(connect / 1e6), height, WAITING, null);
                rect(out, "served", x.at(started / 1e6), y, x.at(finished / 1e6) - x.at(started / 1e6), height,
                        colours.getOrDefault(s.servedBy(), PALETTE[0]), null);
                double tailY = y + height / 2.0;
                out.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-width=\"1\"/>",
                        x.at(finished / 1e6), tailY, Math.max(x.at(finished / 1e6), x.at(done / 1e6)), tailY));
            }
            out.append("</g>\n");
            y += height + gap;
        }
        return y;
    }

    private static String tooltip(LabClient.Sample s, long t0) {
        if (!s.ok()) return "client " + s.client() + ": failed after " + Format.micros(s.doneMicros() - t0)
                + (s.error() != null ? " (" + s.error() + ")" : " (status " + s.status() + ")");
        if (!s.hasServerTimes()) return "client " + s.client() + ": answered at " + Format.micros(s.doneMicros() - t0) + " (no timing headers)";
        return "client " + s.client() + ": connected at " + Format.micros(s.connectedMicros() - t0)
                + ", waited " + Format.micros(Math.max(0, s.startedMicros() - s.connectedMicros()))
                + ", served " + Format.micros(s.finishedMicros() - s.startedMicros())
                + " by " + s.servedBy() + ", answered at " + Format.micros(s.doneMicros() - t0);
    }

    private static java.util.Optional<Double> idealLine(RunResult run) {
        return run.ideal().map(i -> i.total().toNanos() / 1e9);
    }

    /**
     * Grid lines from {@code top} to {@code bottom} into {@code grid} (drawn under the bars), ticks, labels and
     * the ideal line into {@code out}; returns the new bottom.
     */
    private static int axis(StringBuilder grid, StringBuilder out, Scale x, int top, int bottom, java.util.Optional<Double> ideal) {
        double step = niceStep(x.max);
        for (double t = 0; t <= x.max + step / 1000; t += step) {
            double px = x.at(t);
            grid.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e8e8e8\" stroke-width=\"1\"/>",
                    px, top, px, bottom));
            out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#444\" text-anchor=\"middle\">%s</text>",
                    px, bottom + 12, xml(tickLabel(t, step))));
        }
        ideal.ifPresent(i -> {
            dashed(out, x.at(i), top, bottom);
            out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#333\" text-anchor=\"middle\">ideal</text>",
                    x.at(i), top - 3));
        });
        out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\" stroke-width=\"1\"/>",
                x.left, bottom, x.right, bottom));
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#444\" text-anchor=\"end\">%s</text>%n",
                x.right, bottom + 26, "time since the clients were released"));
        return bottom + 30;
    }

    private static void dashed(StringBuilder out, double px, int top, int bottom) {
        out.append(String.format(Locale.ROOT, "<line class=\"ideal\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>",
                px, top, px, bottom));
    }

    private static int legend(StringBuilder out, Map<String, String> workers, int y) {
        int x = 10;
        rect(out, "legend", x, y, 14, 10, WAITING, null);
        text(out, x + 18, y + 9, 11, "normal", "waiting");
        x += 76;
        text(out, x, y + 9, 11, "normal", "served by:");
        x += 62;
        int shown = 0;
        for (var entry : workers.entrySet()) {
            String label = entry.getKey();
            int width = 22 + 6 * label.length();
            if (x + width > WIDTH - RIGHT) {
                if (shown >= 2 * 5) {
                    text(out, x, y + 9, 11, "normal", "+" + (workers.size() - shown) + " more");
                    break;
                }
                x = 148;
                y += 15;
            }
            rect(out, "legend", x, y, 14, 10, entry.getValue(), null);
            text(out, x + 18, y + 9, 11, "normal", label);
            x += width;
            shown++;
        }
        return y + 14;
    }

    private static void rect(StringBuilder out, String cls, double x, double y, double w, double h, String fill, String stroke) {
        out.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>",
                cls, x, y, Math.max(w, 1.0), h, fill, stroke == null ? "" : " stroke=\"" + stroke + "\" stroke-width=\"1\""));
    }

    private static void text(StringBuilder out, double x, double y, int size, String weight, String text) {
        out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-family=\"sans-serif\" font-size=\"%d\" font-weight=\"%s\" fill=\"#222\">%s</text>\n",
                x, y, size, weight, xml(text)));
    }

    private static String svg(StringBuilder body, int height) {
        return "<svg xmlns=\"" + SVG_NS + "\" width=\"" + WIDTH + "\" height=\"" + height + "\" viewBox=\"0 0 " + WIDTH + " "
                + height + "\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n" + body + "</svg>\n";
    }

    /** A round step (1, 2 or 5 × a power of ten) giving about 5 to 10 ticks. */
    static double niceStep(double max) {
        double raw = max / 8;
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        double mantissa = raw / power;
        return power * (mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10);
    }

    /** The end of the axis: the longest run rounded up to a whole tick, so runs of one workload share it. */
    static double scaleFor(List<RunResult> runs) {
        double max = 0;
        for (RunResult r : runs) {
            if (r.measured()) {
                for (LabClient.Sample s : r.samples()) max = Math.max(max, (s.doneMicros() - s.releasedMicros()) / 1e6);
            }
            if (r.ideal().isPresent()) max = Math.max(max, r.ideal().get().total().toNanos() / 1e9);
        }
        if (max <= 0) max = 1;
        double step = niceStep(max * 1.02);
        return Math.ceil(max * 1.02 / step) * step;
    }

    private static String tickLabel(double t, double step) {
        if (t == 0) return "0";
        if (step >= 1) return Format.number(t, 0) + (t == 0 ? "" : " s");
        if (step >= 0.1) return Format.number(t, 1) + (t == 0 ? "" : " s");
        if (step >= 0.001) return Format.number(t * 1000, 0) + (t == 0 ? "" : " ms");
        return Format.number(t * 1e6, 0) + (t == 0 ? "" : " µs");
    }

    static String xml(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c >= 0x20 || c == '\n' || c == '\t') b.append(c);
                }
            }
        }
        return b.toString();
    }

    /** Seconds to pixels. */
    private record Scale(int left, int right, double max) {
        double at(double seconds) {
            return left + (right - left) * Math.max(0, Math.min(seconds, max)) / max;
        }
    }
}
