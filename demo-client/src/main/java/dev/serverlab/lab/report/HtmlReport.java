package dev.serverlab.lab.report;

import dev.serverlab.lab.console.Format;
import dev.serverlab.lab.experiment.Comparison;
import dev.serverlab.lab.experiment.ComparisonTable;
import dev.serverlab.lab.experiment.RunResult;
import dev.serverlab.lab.experiment.Story;
import dev.serverlab.lab.experiment.Workload;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

import static dev.serverlab.lab.report.Timeline.xml;

/**
 * report.html: one self-contained page (no scripts, no external fonts or files) with the table and one
 * timeline per run, each followed by the sentences that explain it. It is well-formed XHTML, so any XML
 * parser can read it, and the timelines are inline SVG that opens offline.
 */
public final class HtmlReport {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private static final String STYLE = """
            body { font-family: sans-serif; margin: 2em auto; max-width: 940px; color: #222; line-height: 1.4; }
            h1 { font-size: 1.5em; margin-bottom: 0.2em; }
            h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
            h3 { margin-bottom: 0.3em; }
            h3 code { font-weight: normal; font-size: 0.85em; color: #555; }
            p.meta, p.warmup, p.files { color: #555; font-size: 0.9em; }
            table { border-collapse: collapse; font-size: 0.88em; }
            th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; }
            th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
            td.failed { color: #b00; text-align: left; }
            section.run { margin-bottom: 1.5em; }
            section.run svg { max-width: 100%; height: auto; border: 1px solid #eee; }
            """;

    private HtmlReport() {
    }

    static String write(Comparison c, Map<String, String> timelines) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<title>serverlab compare, ").append(xml(DATE.format(c.date()))).append("</title>\n")
                .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        h.append("<h1>serverlab: the experiment on this machine</h1>\n");
        h.append("<p class=\"meta\">").append(xml(DATE.format(c.date()))).append(" · ").append(xml(c.machine().describe()))
                .append(" · ").append(c.settings().clients()).append(" concurrent clients")
                .append(c.settings().repeat() > 1 ? " · median of " + c.settings().repeat() + " runs" : "")
                .append(" · took ").append(xml(Format.clock(c.elapsed()))).append("</p>\n");
        if (c.calibration() != null) {
            h.append("<p class=\"meta\">Calibration: ").append(xml(c.calibration().describe())).append(".</p>\n");
        }
        h.append("<p>Each engine ran in a fresh JVM, was warmed up, then got ").append(c.settings().clients())
                .append(" requests at once. Ideal: the best total its model allows on ").append(c.machine().cores())
                .append(" cores; <em>vs ideal</em> is the measured total over it (1.00 × is the limit). ")
                .append("Workers: distinct threads or processes that served; peak: the most requests in service at one instant.</p>\n");
        table(h, c.runs());
        for (Workload w : c.workloads()) {
            List<RunResult> runs = c.runsOf(w);
            h.append("<h2 id=\"").append(w.key()).append("\">").append(xml(w.kind().title)).append(": <code>")
                    .append(xml(w.path())).append("</code>, ").append(xml(Format.seconds(w.perRequest()))).append(" alone</h2>\n");
            h.append("<p>Each bar is one request, from the moment its client connected to the moment the answer arrived: ")
                    .append("grey while it waited for the server, coloured while it was served (one colour per worker). ")
                    .append("Bars are sorted by the time the server started them; the dashed line is the ideal total. ")
                    .append("All timelines of this workload share one time axis.</p>\n");
            double scale = Timeline.scaleFor(runs);
            for (RunResult run : runs) {
                h.append("<section class=\"run\" id=\"").append(xml(run.slug())).append("\">\n<h3>").append(xml(run.variant().label()));
                if (!run.variant().commandLine().equals(run.variant().label())) {
                    h.append(" <code>--engine ").append(xml(run.variant().commandLine())).append("</code>");
                }
                h.append("</h3>\n");
                if (run.measured()) h.append(Timeline.single(run, scale, c.machine().cores()));
                h.append("<p class=\"story\">").append(xml(String.join(" ", Story.of(run, c.machine().cores())))).append("</p>\n");
                if (run.warmup() != null) {
                    RunResult.Warmup wu = run.warmup();
                    h.append("<p class=\"warmup\">Warm-up: ").append(wu.requests()).append(" × <code>").append(xml(wu.path()))
                            .append("</code> in ").append(xml(Format.micros(wu.micros())))
                            .append(wu.failed() > 0 ? " (" + wu.failed() + " failed)" : "")
                            .append(run.workload().kind() == Workload.Kind.CPU ? "; alone it then took "
                                    + Format.seconds(run.alone()) + " (the t of the ideal)" : "")
                            .append(run.server() != null ? "; server pid " + run.server().pid() + ", started in "
                                    + Format.micros(run.server().startupMicros()) : "")
                            .append(run.totalsMicros().size() > 1 ? "; totals of the " + run.totalsMicros().size() + " runs: "
                                    + String.join(", ", run.totalsMicros().stream().map(Format::micros).toList()) : "")
                            .append(".</p>\n");
                }
                String file = timelines.get(run.slug());
                if (file != null) h.append("<p class=\"files\">Picture: <a href=\"").append(xml(file)).append("\">")
                        .append(xml(file)).append("</a></p>\n");
                h.append("</section>\n");
            }
        }
        h.append("<h2 id=\"files\">Data</h2>\n<p class=\"files\"><a href=\"results.json\">results.json</a> (every number above, ")
                .append("and every request) · <a href=\"requests.csv\">requests.csv</a> (one row per request with every timestamp).</p>\n");
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static void table(StringBuilder h, List<RunResult> runs) {
        h.append("<table class=\"summary\">\n<thead><tr>");
        for (String head : ComparisonTable.HEADER) h.append("<th>").append(xml(head)).append("</th>");
        h.append("</tr></thead>\n<tbody>\n");
        for (RunResult run : runs) {
            String[] cells = ComparisonTable.row(run);
            h.append("<tr>");
            if (cells.length < ComparisonTable.HEADER.length) {
                h.append("<td>").append(xml(cells[0])).append("</td><td>").append(xml(cells[1])).append("</td><td class=\"failed\" colspan=\"")
                        .append(ComparisonTable.HEADER.length - 2).append("\">").append(xml(cells[2])).append("</td>");
            } else {
                for (int i = 0; i < cells.length; i++) {
                    String cell = xml(cells[i]);
                    if (i == 0 && run.measured()) cell = "<a href=\"#" + xml(run.slug()) + "\">" + cell + "</a>";
                    h.append("<td>").append(cell).append("</td>");
                }
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n");
    }
}
