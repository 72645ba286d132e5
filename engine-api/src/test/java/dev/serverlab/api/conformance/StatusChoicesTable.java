package dev.serverlab.api.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The table in {@code engine-api/LIMITS.md} under {@value #HEADING}: for every kit case where an engine whose
 * library decodes HTTP answers otherwise than the shared codec (another status, or none), one row with the
 * shared codec's status and each such engine's. Each engine's conformance run checks its own column against its
 * {@link HostileInputCases#statusChoices()}, so the document cannot drift from what the engines do.
 */
final class StatusChoicesTable {

    static final String HEADING = "## Where the library engines choose another answer";

    /** Case name → (column heading → status), in the document's order. */
    final Map<String, Map<String, Integer>> rows;
    final List<String> columns;

    private StatusChoicesTable(List<String> columns, Map<String, Map<String, Integer>> rows) {
        this.columns = columns;
        this.rows = rows;
    }

    static StatusChoicesTable read() throws IOException {
        List<String> lines = Files.readAllLines(limitsMd());
        int at = lines.indexOf(HEADING);
        if (at < 0) throw new IllegalStateException("LIMITS.md has no section '" + HEADING + "'");
        List<String> columns = null;
        Map<String, Map<String, Integer>> rows = new LinkedHashMap<>();
        for (int i = at + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
            String line = lines.get(i).strip();
            if (!line.startsWith("|")) continue;
            List<String> cells = cells(line);
            if (columns == null) {
                columns = cells;
            } else if (!cells.get(0).startsWith("-")) {
                Map<String, Integer> row = new LinkedHashMap<>();
                for (int c = 1; c < cells.size(); c++) row.put(columns.get(c), status(cells.get(c)));
                rows.put(cells.get(0), row);
            }
        }
        if (columns == null) throw new IllegalStateException("LIMITS.md's section '" + HEADING + "' has no table");
        return new StatusChoicesTable(columns, rows);
    }

    /** "400", "408 when the time is up", or "no answer, ..." (the connection is closed without one). */
    private static int status(String cell) {
        if (cell.startsWith("no answer")) return HostileInputCases.NO_ANSWER;
        return Integer.parseInt(cell.split(" ", 2)[0]);
    }

    private static List<String> cells(String line) {
        List<String> cells = new ArrayList<>();
        for (String cell : line.substring(1, line.length() - 1).split("\\|")) cells.add(cell.strip().replace("`", ""));
        return cells;
    }

    /** engine-api/LIMITS.md, found from any module's directory. */
    private static Path limitsMd() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("engine-api/LIMITS.md");
            if (Files.isRegularFile(candidate)) return candidate;
            if (dir.getFileName() != null && dir.getFileName().toString().equals("engine-api") && Files.isRegularFile(dir.resolve("LIMITS.md"))) {
                return dir.resolve("LIMITS.md");
            }
        }
        throw new IllegalStateException("engine-api/LIMITS.md not found above " + Path.of("").toAbsolutePath());
    }
}
