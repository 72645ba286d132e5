package dev.serverlab.lab.report;

import dev.serverlab.lab.experiment.Calibration;
import dev.serverlab.lab.experiment.Comparison;
import dev.serverlab.lab.experiment.IdealTotal;
import dev.serverlab.lab.experiment.RunResult;
import dev.serverlab.lab.experiment.RunStats;
import dev.serverlab.lab.experiment.Story;
import dev.serverlab.lab.experiment.Workload;
import dev.serverlab.lab.load.LabClient;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * results.json: everything the report shows, for scripts. Times are seconds (decimals) unless the field
 * name ends in {@code Micros} (epoch microseconds). The fields are documented in demo-client/COMPARE.md;
 * {@link #VERSION} changes when a field changes meaning.
 */
public final class ResultsJson {

    static final int VERSION = 1;

    private ResultsJson() {
    }

    /**
     * @param files     the other files written, by role ({@code report}, {@code csv}, {@code timeline-cpu}...)
     * @param timelines each run's standalone SVG, by {@link RunResult#slug()}
     */
    static String write(Comparison c, Map<String, String> files, Map<String, String> timelines) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", "serverlab-compare/" + VERSION);
        root.put("date", c.date().toString());
        root.put("elapsedSeconds", seconds(c.elapsed().toNanos() / 1e3));
        root.put("command", c.settings().command());

        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", c.machine().cores());
        machine.put("memoryBytes", c.machine().memoryBytes());
        machine.put("os", c.machine().os());
        machine.put("java", c.machine().java());
        root.put("machine", machine);

        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("clients", c.settings().clients());
        settings.put("repeat", c.settings().repeat());
        settings.put("warmupRequests", c.settings().warmup());
        settings.put("workers", c.settings().counts().workers());
        settings.put("loops", c.settings().counts().loops());
        settings.put("offload", c.settings().counts().offload());
        settings.put("timeoutSeconds", seconds(c.settings().timeout().toNanos() / 1e3));
        root.put("settings", settings);

        if (c.calibration() != null) {
            Calibration cal = c.calibration();
            Map<String, Object> calibration = new LinkedHashMap<>();
            calibration.put("engine", cal.engine());
            calibration.put("fibN", cal.n());
            calibration.put("fibSeconds", seconds(cal.perCall().toNanos() / 1e3));
            calibration.put("targetSeconds", cal.target() == null ? null : seconds(cal.target().toNanos() / 1e3));
            List<Object> tried = new ArrayList<>();
            for (long[] t : cal.tried()) tried.add(ordered("n", t[0], "seconds", seconds(t[1])));
            calibration.put("tried", tried);
            calibration.put("samplesSeconds", cal.samples().stream().map(m -> seconds(m)).toList());
            root.put("calibration", calibration);
        }

        List<Object> workloads = new ArrayList<>();
        for (Workload w : c.workloads()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", w.key());
            m.put("path", w.path());
            m.put("perRequestSeconds", seconds(w.perRequest().toNanos() / 1e3));
            workloads.add(m);
        }
        root.put("workloads", workloads);

        List<Object> runs = new ArrayList<>();
        for (RunResult r : c.runs()) runs.add(run(r, c.machine().cores(), timelines));
        root.put("runs", runs);
        root.put("files", files);
        return Json.write(root);
    }

    private static Map<String, Object> run(RunResult r, int cores, Map<String, String> timelines) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("configuration", r.variant().label());
        m.put("engine", r.variant().engine());
        m.put("options", r.variant().serveArgs());
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("kind", r.variant().model().kind().name().toLowerCase(java.util.Locale.ROOT));
        model.put("workers", zeroIsNull(r.variant().model().workers()));
        model.put("loops", zeroIsNull(r.variant().model().loops()));
        model.put("offload", zeroIsNull(r.variant().model().offload()));
        model.put("gil", r.variant().model().gil());
        model.put("description", r.variant().model().describe());
        m.put("model", model);
        m.put("workload", r.workload().key());
        m.put("path", r.workload().path());
        m.put("clients", r.clients());
        m.put("status", !r.answered() ? "failed" : r.stats().failed() > 0 ? "partial" : "ok");
        m.put("error", r.error());
        if (r.server() != null) {
            m.put("server", ordered("pid", r.server().pid(), "details", r.server().details(),
                    "startupSeconds", seconds(r.server().startupMicros())));
        } else {
            m.put("server", null);
        }
        if (r.warmup() != null) {
            m.put("warmup", ordered("path", r.warmup().path(), "requests", r.warmup().requests(),
                    "seconds", seconds(r.warmup().micros()), "failed", r.warmup().failed()));
        } else {
            m.put("warmup", null);
        }
        m.put("aloneSeconds", seconds(r.alone().toNanos() / 1e3));
        m.put("aloneNote", r.aloneNote());
        m.put("idealSeconds", r.ideal().map(i -> seconds(i.total().toNanos() / 1e3)).orElse(null));
        m.put("idealFormula", r.ideal().map(IdealTotal::formula).orElse(null));
        if (r.measured()) {
            RunStats s = r.stats();
            m.put("totalSeconds", seconds(s.totalMicros()));
            m.put("repetitionTotalsSeconds", r.totalsMicros().stream().map(t -> seconds(t)).toList());
            m.put("chosenRepetition", r.chosen() + 1);
            m.put("measuredOverIdeal", r.overIdeal().orElse(null));
            m.put("tMisMeasured", r.tMisMeasured());
            m.put("latencySeconds", ordered("min", seconds(s.minLatencyMicros()), "median", seconds(s.medianLatencyMicros()),
                    "max", seconds(s.maxLatencyMicros())));
            m.put("medianServiceSeconds", seconds(s.medianServiceMicros()));
            m.put("maxWaitSeconds", seconds(s.maxWaitMicros()));
            m.put("workers", s.workers());
            m.put("workerNames", Timeline.workers(r).keySet().stream().toList());
            m.put("peakInService", s.peakInService());
            m.put("failedRequests", s.failed());
        }
        m.put("story", Story.of(r, cores));
        m.put("timeline", timelines.get(r.slug()));
        List<Object> requests = new ArrayList<>();
        for (LabClient.Sample s : r.samples()) {
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("client", s.client());
            q.put("releasedMicros", s.releasedMicros());
            q.put("connectedMicros", s.connectedMicros());
            q.put("acceptedMicros", s.acceptedMicros());
            q.put("startedMicros", s.startedMicros());
            q.put("finishedMicros", s.finishedMicros());
            q.put("doneMicros", s.doneMicros());
            q.put("status", s.status());
            q.put("servedBy", s.servedBy());
            q.put("error", s.error());
            requests.add(q);
        }
        m.put("requests", requests);
        return m;
    }

    /** Like Map.of, but keeps the order given, so the file reads the same every time. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    private static Double seconds(double micros) {
        return micros / 1e6;
    }

    private static Integer zeroIsNull(int v) {
        return v == 0 ? null : v;
    }
}
