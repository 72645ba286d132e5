package dev.serverlab.lab.experiment;

import dev.serverlab.lab.console.Format;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The comparison as a table: one row per variant per workload. The same cells feed the terminal and the
 * HTML report.
 */
public final class ComparisonTable {

    public static final String[] HEADER = {"configuration", "work", "total", "lat min", "median", "max", "ideal", "vs ideal",
            "workers", "peak"};

    private ComparisonTable() {
    }

    /** The cells of one row; a run that failed before measuring has its reason in the third cell. */
    public static String[] row(RunResult run) {
        String ideal = run.ideal().map(i -> Format.seconds(i.total())).orElse("?");
        if (!run.answered()) {
            return new String[] {run.variant().label(), run.workload().key(), "failed: " + Story.firstLine(run.error())};
        }
        RunStats s = run.stats();
        return new String[] {
                run.variant().label(), run.workload().key(), Format.micros(s.totalMicros()),
                Format.micros(s.minLatencyMicros()), Format.seconds(s.medianLatencyMicros() / 1e6), Format.micros(s.maxLatencyMicros()),
                ideal, run.overIdeal().map(r -> Format.number(r, 2) + " ×").orElse(run.tMisMeasured() ? "t?" : "?"),
                Integer.toString(s.workers()), Integer.toString(s.peakInService())};
    }

    public static void print(PrintWriter out, List<RunResult> runs) {
        List<String[]> rows = new ArrayList<>();
        for (RunResult run : runs) rows.add(row(run));
        int[] width = new int[HEADER.length];
        for (int i = 0; i < HEADER.length; i++) width[i] = HEADER[i].length();
        for (String[] row : rows) {
            // a failed row's reason spans the number columns: only its names count
            int counted = row.length < HEADER.length ? 2 : row.length;
            for (int i = 0; i < counted; i++) width[i] = Math.max(width[i], row[i].length());
        }
        line(out, HEADER, width);
        for (int r = 0; r < rows.size(); r++) {
            String[] row = rows.get(r);
            if (row.length < HEADER.length) {
                out.printf("%-" + width[0] + "s  %-" + width[1] + "s  %s%n", row[0], row[1], row[2]);
            } else {
                line(out, row, width);
            }
            RunResult run = runs.get(r);
            if (run.answered() && run.stats().failed() > 0) {
                out.printf("%-" + width[0] + "s  %-" + width[1] + "s  %d of %d requests failed: %s%n", "", "",
                        run.stats().failed(), run.samples().size(), Story.firstLine(run.error()));
            }
        }
    }

    private static void line(PrintWriter out, String[] cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) b.append("  ");
            // names left, numbers right
            String format = i < 2 ? "%-" + width[i] + "s" : "%" + width[i] + "s";
            b.append(String.format(format, cells[i]));
        }
        out.println(b.toString().stripTrailing());
    }
}
