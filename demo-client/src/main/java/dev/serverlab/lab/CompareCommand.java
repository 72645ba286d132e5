package dev.serverlab.lab;

import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Workloads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code ./lab compare}: the original experiment, replayed on every engine on this machine.
 *
 * <pre>
 *   calibrate fib n on a fresh blocking server (one call ≈ --fib-time)
 *   for each variant (engine + options):   fresh JVM ── warm up ── N clients × /fib/n ── N clients × /sleep/ms ── stop
 *   table on stdout; report.html, results.json, requests.csv and SVG timelines under --out
 * </pre>
 *
 * A variant that fails (does not start, crashes, times out) gets its own row and the others still run.
 * Ctrl-C stops every server process (see {@link ServerProcess}).
 */
@Command(name = "compare", sortOptions = false, mixinStandardHelpOptions = true, description = {
        "Replay the experiment on every engine: N concurrent clients asking for CPU work (/fib/n), then for IO "
                + "waits (/sleep/ms), each engine in a fresh JVM, warmed up first.",
        "Prints a table (total, latency, ideal total for this machine, workers, peak in service) and writes an HTML "
                + "report with a timeline per run, results.json, requests.csv and SVG timelines under --out."})
final class CompareCommand implements Callable<Integer> {

    @Option(names = "--engines", split = ",", paramLabel = "NAME", description = "Engines to compare (default: every engine found).")
    List<String> engines;

    @Option(names = "--variants", split = ",", paramLabel = "LABEL", description = "Configurations to run, by label: an engine name (as it is), NAME+gil or NAME+offload "
            + "(default: the lessons: every engine, threadpool+gil, and +offload on event loops; 'all' for every one).")
    List<String> variants;

    @Option(names = "--workloads", split = ",", paramLabel = "cpu|io", description = "Workloads to run (default: cpu,io).")
    List<String> workloads;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "10", description = "Concurrent clients (default: ${DEFAULT-VALUE}, as in the original).")
    int clients;

    @Option(names = "--workers", paramLabel = "P", defaultValue = "4", description = "Workers for engines that take --workers (default: ${DEFAULT-VALUE}, as in the original).")
    int workers;

    @Option(names = "--loops", paramLabel = "L", defaultValue = "1", description = "Event loops for engines that take --loops (default: ${DEFAULT-VALUE}: the lesson's single loop).")
    int loops;

    @Option(names = "--offload", paramLabel = "K", description = "Offload pool size for the +offload variants (default: the number of cores).")
    Integer offload;

    @Option(names = "--fib-time", paramLabel = "DURATION", defaultValue = "300ms",
            description = "Calibrate fib n so that one call takes about this long (default: ${DEFAULT-VALUE}: the whole "
                    + "default run, about 80 such calls in serial rows, then fits in about 3 minutes on 2 cores).")
    String fibTime;

    @Option(names = "--fib", paramLabel = "N", description = "Use fib(N) instead of calibrating n (its time is still measured).")
    Integer fib;

    @Option(names = "--sleep", paramLabel = "DURATION", defaultValue = "1s", description = "The IO wait of each request (default: ${DEFAULT-VALUE}).")
    String sleep;

    @Option(names = "--repeat", paramLabel = "R", defaultValue = "1", description = "Runs per variant and workload; the one with the median total is reported (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "4", description = "Concurrent warm-up requests per workload before measuring, lighter than the real ones; 0 for none (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "How long a client waits for its answer (default: 10s + 3 × the serial total).")
    String timeout;

    @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "60s", description = "How long an engine may take to start listening (default: ${DEFAULT-VALUE}).")
    String startTimeout;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the report and data (default: lab-results/<date-time>).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        check();
        PrintWriter stdout = spec.commandLine().getOut();
        int cores = Runtime.getRuntime().availableProcessors();
        Variant.Counts counts = new Variant.Counts(workers, loops, offload != null ? offload : cores);
        Engines found = Engines.discover();
        List<Variant> lineup = lineup(found, counts);
        Set<Workload.Kind> kinds = kinds();
        Duration wait = EngineOption.parseDuration("sleep", sleep);
        if (wait.toMillis() < 1 || wait.toMillis() > Workloads.MAX_SLEEP_MS) {
            throw new UserError(Lab.USAGE, "--sleep takes 1ms to " + Workloads.MAX_SLEEP_MS / 1000 + "s, not " + sleep);
        }
        Duration startWithin = EngineOption.parseDuration("start-timeout", startTimeout);
        Path dir = out != null ? out : Path.of("lab-results", DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(ZoneId.systemDefault()).format(Instant.now()));

        Instant date = Instant.now();
        int steps = lineup.size() * kinds.size() + (kinds.contains(Workload.Kind.CPU) ? 1 : 0);
        Thread interrupted = stopNotice(System.err);
        try (Progress progress = new Progress(System.err, Progress.terminal(), steps)) {
            progress.say(stdout, "compare: " + lineup.size() + " configuration" + (lineup.size() == 1 ? "" : "s") + " × "
                    + kinds.size() + " workload" + (kinds.size() == 1 ? "" : "s") + ", " + clients + " clients, "
                    + Comparison.Machine.current().describe());

            Calibration calibration = null;
            List<Workload> plan = new ArrayList<>();
            if (kinds.contains(Workload.Kind.CPU)) {
                progress.now("calibrating fib");
                calibration = calibrate(found, lineup, startWithin);
                progress.stepDone();
                progress.say(stdout, "calibration: " + calibration.describe());
                plan.add(Workload.cpu(calibration.n(), calibration.perCall()));
            }
            if (kinds.contains(Workload.Kind.IO)) plan.add(Workload.io(wait));
            Duration requestTimeout = requestTimeout(plan);
            int labelWidth = lineup.stream().mapToInt(v -> v.label().length()).max().orElse(8);

            List<RunResult> results = new ArrayList<>();
            for (Variant variant : lineup) {
                results.addAll(runVariant(variant, plan, cores, requestTimeout, startWithin, progress, stdout, labelWidth));
            }
            // the table groups by workload, as the report does
            List<RunResult> ordered = new ArrayList<>();
            for (Workload w : plan) results.stream().filter(r -> r.workload().equals(w)).forEach(ordered::add);

            Comparison comparison = new Comparison(date, Comparison.Machine.current(),
                    new Comparison.Settings(clients, repeat, warmup, counts, requestTimeout, command()),
                    calibration, List.copyOf(plan), List.copyOf(ordered), progress.elapsed());
            progress.close();
            stdout.println();
            ComparisonTable.print(stdout, ordered);
            stdout.println("(latency: from the release of all clients to each answer; ideal: the model's best on " + cores
                    + " cores; vs ideal: measured total / ideal; workers: distinct threads or processes; peak: most in service at once)");
            write(dir, comparison);
            stdout.println();
            stdout.println("report: " + dir.resolve("report.html").toAbsolutePath().normalize());
            stdout.println("data:   " + dir.resolve("results.json").toAbsolutePath().normalize() + ", requests.csv, timelines/*.svg");
            stdout.flush();
            boolean allOk = ordered.stream().allMatch(r -> r.answered() && r.error() == null);
            return allOk ? 0 : Lab.FAILED;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(interrupted);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running already
            }
        }
    }

    private void check() {
        if (clients < 1 || clients > 1000) throw new UserError(Lab.USAGE, "--clients takes 1 to 1000, not " + clients);
        if (workers < 1 || workers > 1000) throw new UserError(Lab.USAGE, "--workers takes 1 to 1000, not " + workers);
        if (loops < 1 || loops > 1000) throw new UserError(Lab.USAGE, "--loops takes 1 to 1000, not " + loops);
        if (offload != null && (offload < 1 || offload > 1000)) throw new UserError(Lab.USAGE, "--offload takes 1 to 1000, not " + offload);
        if (repeat < 1 || repeat > 100) throw new UserError(Lab.USAGE, "--repeat takes 1 to 100, not " + repeat);
        if (warmup < 0 || warmup > 1000) throw new UserError(Lab.USAGE, "--warmup takes 0 to 1000, not " + warmup);
        if (fib != null && (fib < 1 || fib > Workloads.MAX_FIB)) {
            throw new UserError(Lab.USAGE, "--fib takes 1 to " + Workloads.MAX_FIB + ", not " + fib);
        }
    }

    /** The variants to run: the lessons by default, filtered by --engines and --variants. */
    private List<Variant> lineup(Engines found, Variant.Counts counts) {
        List<ServerEngine> chosen = new ArrayList<>();
        if (engines == null) {
            chosen.addAll(found.all());
        } else {
            for (String name : new LinkedHashSet<>(engines)) chosen.add(found.find(name.trim()));
        }
        if (chosen.isEmpty()) throw new UserError(Lab.FAILED, "no engines found on the class path");
        List<Variant> possible = Variant.all(chosen, counts);
        if (variants == null) return possible.stream().filter(Variant::lesson).toList();
        if (variants.size() == 1 && variants.get(0).equals("all")) return possible;
        List<Variant> picked = new ArrayList<>();
        for (String label : new LinkedHashSet<>(variants)) {
            Optional<Variant> v = possible.stream().filter(p -> p.label().equals(label.trim())).findFirst();
            if (v.isEmpty()) {
                throw new UserError(Lab.USAGE, "no variant '" + label + "'" + (engines != null ? " among --engines " + String.join(",", engines) : "")
                        + "; possible: " + String.join(", ", possible.stream().map(Variant::label).toList()));
            }
            picked.add(v.get());
        }
        return possible.stream().filter(picked::contains).toList();
    }

    private Set<Workload.Kind> kinds() {
        Set<Workload.Kind> kinds = new LinkedHashSet<>();
        for (String w : workloads == null ? List.of("cpu", "io") : workloads) {
            switch (w.trim()) {
                case "cpu" -> kinds.add(Workload.Kind.CPU);
                case "io" -> kinds.add(Workload.Kind.IO);
                default -> throw new UserError(Lab.USAGE, "--workloads takes cpu and io, not '" + w + "'");
            }
        }
        return kinds;
    }

    /** Calibrates on a fresh blocking server: one at a time, nothing else running, so a call's time is its own. */
    private Calibration calibrate(Engines found, List<Variant> lineup, Duration startWithin) throws InterruptedException {
        String engine = found.names().contains("blocking") ? "blocking" : lineup.get(0).engine();
        Duration target = EngineOption.parseDuration("fib-time", fibTime);
        try (ServerProcess server = ServerProcess.start(engine, List.of(), List.of(), startWithin)) {
            return Calibration.run(server, target, fib, Duration.ofSeconds(120));
        }
    }

    /** Generous: three times the slowest model's total, plus ten seconds. */
    private Duration requestTimeout(List<Workload> plan) {
        if (timeout != null) return EngineOption.parseDuration("timeout", timeout);
        Duration longest = plan.stream().map(Workload::perRequest).max(Duration::compareTo).orElse(Duration.ofSeconds(1));
        return Duration.ofSeconds(10).plus(longest.multipliedBy(3L * clients));
    }

    /** One fresh JVM for the variant: every workload in it, warm-up first; failures become rows. */
    private List<RunResult> runVariant(Variant variant, List<Workload> plan, int cores, Duration requestTimeout,
                                       Duration startWithin, Progress progress, PrintWriter stdout, int labelWidth)
            throws InterruptedException {
        List<RunResult> results = new ArrayList<>();
        progress.now(variant.label() + " · starting");
        long t0 = System.nanoTime();
        ServerProcess server;
        try {
            server = ServerProcess.start(variant.engine(), variant.serveArgs(), List.of(), startWithin);
        } catch (UserError e) {
            for (Workload w : plan) {
                results.add(RunResult.failed(variant, w, null, e.getMessage(), ideal(variant, w, cores), clients));
                progress.stepDone();
            }
            progress.say(stdout, String.format("  %-" + labelWidth + "s  failed to start: %s", variant.label(), Story.firstLine(e.getMessage())));
            return results;
        }
        try (server) {
            RunResult.Server info = new RunResult.Server(server.pid(), server.details(), (System.nanoTime() - t0) / 1000);
            for (Workload w : plan) {
                progress.now(variant.label() + " · " + w.key());
                RunResult result = runWorkload(variant, w, server, info, cores, requestTimeout, progress);
                results.add(result);
                progress.stepDone();
                progress.say(stdout, summary(result, labelWidth));
            }
        }
        return results;
    }

    private RunResult runWorkload(Variant variant, Workload w, ServerProcess server, RunResult.Server info, int cores,
                                  Duration requestTimeout, Progress progress) throws InterruptedException {
        Optional<IdealTotal> ideal = ideal(variant, w, cores);
        if (!server.isAlive()) {
            return RunResult.failed(variant, w, info, "the server exited before this run; its last output:\n" + server.lastOutput(), ideal, clients);
        }
        RunResult.Warmup warm = null;
        if (warmup > 0) {
            progress.now(variant.label() + " · " + w.key() + " · warm-up");
            List<LabClient.Sample> samples = LabClient.fire(server.target(w.warmupPath()), warmup, requestTimeout);
            warm = new RunResult.Warmup(w.warmupPath(), warmup, RunStats.of(samples).totalMicros(),
                    (int) samples.stream().filter(s -> !s.ok()).count());
            if (warm.failed() > 0 && server.awaitExit(Duration.ofSeconds(2))) {
                return RunResult.failed(variant, w, info, exited(server, "the warm-up", samples), ideal, clients);
            }
        }
        // t for this row: the quicker of two requests alone, in this JVM, now (the calibration's t came from
        // another JVM; on a shared machine others can only slow a timing down, so the quicker is the better guess)
        Duration alone = w.perRequest();
        if (w.kind() == Workload.Kind.CPU) {
            progress.now(variant.label() + " · " + w.key() + " · alone");
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 2; i++) {
                List<LabClient.Sample> one = LabClient.fire(server.target(w.path()), 1, requestTimeout);
                LabClient.Sample s = one.get(0);
                if (s.ok() && s.hasServerTimes()) {
                    best = Math.min(best, Math.max(1, s.finishedMicros() - s.startedMicros()));
                } else if (server.awaitExit(Duration.ofSeconds(2))) {
                    return RunResult.failed(variant, w, info, exited(server, "a request alone", one), ideal, clients);
                }
            }
            if (best < Long.MAX_VALUE) {
                alone = Duration.ofNanos(best * 1000);
                ideal = ideal(variant, w, cores, alone);
            }
        }
        List<List<LabClient.Sample>> reps = new ArrayList<>();
        for (int r = 0; r < repeat; r++) {
            progress.now(variant.label() + " · " + w.key() + (repeat > 1 ? " · run " + (r + 1) + "/" + repeat : ""));
            reps.add(LabClient.fire(server.target(w.path()), clients, requestTimeout));
        }
        String error = null;
        List<LabClient.Sample> all = reps.stream().flatMap(List::stream).toList();
        if (!all.stream().allMatch(LabClient.Sample::ok)) {
            error = server.awaitExit(Duration.ofSeconds(2)) ? exited(server, "the run", all) : failures(all);
        }
        return new RunResult(variant, w, List.copyOf(reps), RunResult.medianIndex(reps), warm, info, error, alone, ideal, clients);
    }

    /** "connection refused; status 500": each distinct failure once. */
    private static String failures(List<LabClient.Sample> samples) {
        return String.join("; ", samples.stream().filter(s -> !s.ok())
                .map(s -> s.error() != null ? s.error() : "status " + s.status()).distinct().toList());
    }

    private static String exited(ServerProcess server, String when, List<LabClient.Sample> samples) {
        return "the server process exited with code " + server.exitCode() + " during " + when + " (" + failures(samples)
                + "); its last output:\n" + server.lastOutput();
    }

    private Optional<IdealTotal> ideal(Variant variant, Workload w, int cores) {
        return ideal(variant, w, cores, w.perRequest());
    }

    private Optional<IdealTotal> ideal(Variant variant, Workload w, int cores, Duration alone) {
        return IdealTotal.of(variant.model(), w.kind(), clients, alone, cores);
    }

    /** "  threadpool+gil   cpu  total 5.12 s (ideal 4.90 s, 1.04 ×); warm-up 4 × /fib/36 in 0.21 s". */
    private static String summary(RunResult r, int labelWidth) {
        StringBuilder b = new StringBuilder(String.format("  %-" + labelWidth + "s  %-3s  ", r.variant().label(), r.workload().key()));
        if (!r.answered()) return b.append("failed: ").append(Story.firstLine(r.error())).toString();
        b.append("total ").append(Format.micros(r.stats().totalMicros()));
        if (r.workload().kind() == Workload.Kind.CPU) b.append(", one alone ").append(Format.seconds(r.alone()));
        r.ideal().ifPresent(i -> b.append(" (ideal ").append(Format.seconds(i.total()))
                .append(r.overIdeal().map(x -> ", " + Format.number(x, 2) + " ×").orElse("")).append(')'));
        if (r.warmup() != null) {
            b.append("; warm-up ").append(r.warmup().requests()).append(" × ").append(r.warmup().path()).append(" in ")
                    .append(Format.micros(r.warmup().micros()));
        }
        if (r.error() != null) b.append("; ").append(r.stats().failed()).append(" failed: ").append(Story.firstLine(r.error()));
        return b.toString();
    }

    private void write(Path dir, Comparison c) {
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
            throw new UserError(Lab.FAILED, "cannot write the results under " + dir + ": " + e.getMessage());
        }
    }

    private static void writeText(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private String command() {
        return "lab " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }

    /** On Ctrl-C, say what happens while the servers stop (ServerProcess's own hook stops them). */
    private static Thread stopNotice(java.io.PrintStream err) {
        Thread hook = new Thread(() -> {
            err.println();
            err.println("lab: interrupted; stopping the servers");
            err.flush();
        }, "lab-compare-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }
}
