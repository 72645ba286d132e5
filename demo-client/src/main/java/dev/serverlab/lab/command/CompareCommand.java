package dev.serverlab.lab.command;

import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Workloads;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.Progress;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.experiment.Calibration;
import dev.serverlab.lab.experiment.Comparison;
import dev.serverlab.lab.experiment.ComparisonTable;
import dev.serverlab.lab.experiment.IdealTotal;
import dev.serverlab.lab.experiment.RunResult;
import dev.serverlab.lab.experiment.Trial;
import dev.serverlab.lab.experiment.Variant;
import dev.serverlab.lab.experiment.Workload;
import dev.serverlab.lab.launch.ServerProcess;
import dev.serverlab.lab.report.ResultFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
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
public final class CompareCommand implements Callable<Integer> {

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
            throw new UserError(ExitCode.USAGE, "--sleep takes 1ms to " + Workloads.MAX_SLEEP_MS / 1000 + "s, not " + sleep);
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

            Trial trial = new Trial(new Trial.Settings(clients, repeat, warmup, cores, requestTimeout, startWithin), progress, stdout, labelWidth);
            List<RunResult> results = new ArrayList<>();
            for (Variant variant : lineup) results.addAll(trial.run(variant, plan));
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
                    + " cores; vs ideal: measured total / ideal" + (ordered.stream().anyMatch(RunResult::tMisMeasured)
                    ? ", t? where the total came out below the ideal, which means t was mis-measured" : "")
                    + "; workers: distinct threads or processes; peak: most in service at once)");
            ResultFiles.write(dir, comparison);
            stdout.println();
            stdout.println("report: " + dir.resolve("report.html").toAbsolutePath().normalize());
            stdout.println("data:   " + dir.resolve("results.json").toAbsolutePath().normalize() + ", requests.csv, timelines/*.svg");
            stdout.flush();
            boolean allOk = ordered.stream().allMatch(r -> r.answered() && r.error() == null);
            return allOk ? 0 : ExitCode.FAILED;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(interrupted);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running already
            }
        }
    }

    private void check() {
        if (clients < 1 || clients > 1000) throw new UserError(ExitCode.USAGE, "--clients takes 1 to 1000, not " + clients);
        if (workers < 1 || workers > 1000) throw new UserError(ExitCode.USAGE, "--workers takes 1 to 1000, not " + workers);
        if (loops < 1 || loops > 1000) throw new UserError(ExitCode.USAGE, "--loops takes 1 to 1000, not " + loops);
        if (offload != null && (offload < 1 || offload > 1000)) throw new UserError(ExitCode.USAGE, "--offload takes 1 to 1000, not " + offload);
        if (repeat < 1 || repeat > 100) throw new UserError(ExitCode.USAGE, "--repeat takes 1 to 100, not " + repeat);
        if (warmup < 0 || warmup > 1000) throw new UserError(ExitCode.USAGE, "--warmup takes 0 to 1000, not " + warmup);
        if (fib != null && (fib < 1 || fib > Workloads.MAX_FIB)) {
            throw new UserError(ExitCode.USAGE, "--fib takes 1 to " + Workloads.MAX_FIB + ", not " + fib);
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
        if (chosen.isEmpty()) throw new UserError(ExitCode.FAILED, "no engines found on the class path");
        List<Variant> possible = Variant.all(chosen, counts);
        if (variants == null) return possible.stream().filter(Variant::lesson).toList();
        if (variants.size() == 1 && variants.get(0).equals("all")) return possible;
        List<Variant> picked = new ArrayList<>();
        for (String label : new LinkedHashSet<>(variants)) {
            Optional<Variant> v = possible.stream().filter(p -> p.label().equals(label.trim())).findFirst();
            if (v.isEmpty()) {
                throw new UserError(ExitCode.USAGE, "no variant '" + label + "'" + (engines != null ? " among --engines " + String.join(",", engines) : "")
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
                default -> throw new UserError(ExitCode.USAGE, "--workloads takes cpu and io, not '" + w + "'");
            }
        }
        return kinds;
    }

    /** Calibrates on a fresh blocking server: one at a time, nothing else running, so a call's time is its own. */
    private Calibration calibrate(Engines found, List<Variant> lineup, Duration startWithin) throws InterruptedException {
        String engine = found.names().contains("blocking") ? "blocking" : lineup.get(0).engine();
        Duration target = EngineOption.parseDuration("fib-time", fibTime);
        try (ServerProcess server = ServerProcess.start(engine, List.of(), Trial.jvmArgs(), startWithin)) {
            return Calibration.run(server, target, fib, Duration.ofSeconds(120));
        }
    }

    /** Generous: three times the slowest model's total, plus ten seconds. */
    private Duration requestTimeout(List<Workload> plan) {
        if (timeout != null) return EngineOption.parseDuration("timeout", timeout);
        Duration longest = plan.stream().map(Workload::perRequest).max(Duration::compareTo).orElse(Duration.ofSeconds(1));
        return Duration.ofSeconds(10).plus(longest.multipliedBy(3L * clients));
    }

    private Optional<IdealTotal> ideal(Variant variant, Workload w, int cores) {
        return IdealTotal.of(variant.model(), w.kind(), clients, w.perRequest(), cores);
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
