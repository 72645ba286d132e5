package dev.serverlab.lab.report;

import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.Format;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.experiment.Comparison;
import dev.serverlab.lab.experiment.RunResult;
import dev.serverlab.lab.experiment.Workload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code ./lab compare} leaves under {@code --out}:
 *
 * <pre>
 *   report.html                 the table, a timeline per run and its story (self-contained XHTML)
 *   compare-cpu.svg, -io.svg    every variant of one workload on one time axis
 *   timelines/VARIANT-WORK.svg  each run alone, with its workers' legend
 *   results.json, requests.csv  the data
 * </pre>
 */
public final class ResultFiles {

    private ResultFiles() {
    }

    /** Writes every file under {@code dir}: the report, the data, and the pictures. */
    public static void write(Path dir, Comparison c) {
        try {
            Files.createDirectories(dir.resolve("timelines"));
            Map<String, String> timelines = new LinkedHashMap<>();
            Map<String, String> files = new LinkedHashMap<>();
            files.put("report", "report.html");
            files.put("json", "results.json");
            files.put("csv", "requests.csv");
            for (Workload w : c.workloads()) {
                List<RunResult> runs = c.runsOf(w);
                double scale = Timeline.scaleFor(runs);
                String combined = "compare-" + w.key() + ".svg";
                writeText(dir.resolve(combined), Timeline.combined(runs, scale, w.kind().title + ": " + c.settings().clients()
                        + " clients × GET " + w.path() + " (" + Format.seconds(w.perRequest()) + " alone), "
                        + c.machine().cores() + " cores"));
                files.put("timeline-" + w.key(), combined);
                for (RunResult run : runs) {
                    if (!run.measured()) continue;
                    String file = "timelines/" + run.slug() + ".svg";
                    writeText(dir.resolve(file), Timeline.single(run, scale, c.machine().cores()));
                    timelines.put(run.slug(), file);
                }
            }
            writeText(dir.resolve("report.html"), HtmlReport.write(c, timelines));
            writeText(dir.resolve("results.json"), ResultsJson.write(c, files, timelines));
            writeText(dir.resolve("requests.csv"), RequestsCsv.write(c.runs()));
        } catch (IOException e) {
            throw new UserError(ExitCode.FAILED, "cannot write the results under " + dir + ": " + e.getMessage());
        }
    }

    private static void writeText(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

}
