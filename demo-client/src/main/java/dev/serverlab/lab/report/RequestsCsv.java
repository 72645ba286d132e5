package dev.serverlab.lab.report;

import dev.serverlab.lab.experiment.RunResult;
import dev.serverlab.lab.load.LabClient;

import java.util.List;

/**
 * requests.csv: one row per measured request, with every timestamp (epoch microseconds; 0 when the server
 * sent no timing header). Repetitions that were not chosen are included, marked {@code chosen=false}.
 */
public final class RequestsCsv {

    public static final List<String> COLUMNS = List.of("configuration", "engine", "workload", "path", "repetition", "chosen",
            "client", "released_us", "connected_us", "accepted_us", "started_us", "finished_us", "done_us",
            "latency_us", "status", "served_by", "error");

    private RequestsCsv() {
    }

    static String write(List<RunResult> runs) {
        StringBuilder out = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (RunResult run : runs) {
            List<List<LabClient.Sample>> reps = run.repetitions();
            for (int rep = 0; rep < reps.size(); rep++) {
                for (LabClient.Sample s : reps.get(rep)) {
                    out.append(String.join(",", cell(run.variant().label()), cell(run.variant().engine()), run.workload().key(),
                            cell(run.workload().path()), Integer.toString(rep + 1), Boolean.toString(rep == run.chosen()),
                            Integer.toString(s.client()), Long.toString(s.releasedMicros()), Long.toString(s.connectedMicros()),
                            Long.toString(s.acceptedMicros()), Long.toString(s.startedMicros()), Long.toString(s.finishedMicros()),
                            Long.toString(s.doneMicros()), Long.toString(s.latencyMicros()), Integer.toString(s.status()),
                            cell(s.servedBy()), cell(s.error()))).append('\n');
                }
            }
        }
        return out.toString();
    }

    /** RFC 4180: quote when needed, double the quotes inside. */
    static String cell(String v) {
        if (v == null) return "";
        if (v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0 && v.indexOf('\r') < 0) return v;
        return '"' + v.replace("\"", "\"\"") + '"';
    }
}
