package dev.serverlab.lab.experiment;

import dev.serverlab.lab.console.Format;
import dev.serverlab.lab.console.Progress;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.launch.ServerProcess;
import dev.serverlab.lab.load.LabClient;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One variant's turn in a comparison, in a fresh JVM:
 *
 * <pre>
 *   start ./lab serve ──► per workload: warm up ──► (CPU) time one request alone until stable ──► N clients × R ──► stop
 *        │ fails                  │ server died           │ server died                    │ requests failed
 *        ▼                        ▼                       ▼                                ▼
 *   a failed row per workload, with the reason (exit code, the child's last output)   a row that says how many
 * </pre>
 */
public final class Trial {

    /** What every variant is measured with. */
    public record Settings(int clients, int repeat, int warmup, int cores, Duration requestTimeout, Duration startWithin) {
    }

    private final Settings settings;
    private final Progress progress;
    private final PrintWriter stdout;
    private final int labelWidth;

    public Trial(Settings settings, Progress progress, PrintWriter stdout, int labelWidth) {
        this.settings = settings;
        this.progress = progress;
        this.stdout = stdout;
        this.labelWidth = labelWidth;
    }

    /**
     * The JVM options a server inherits from the lab: only those that change what an engine may do, such as
     * {@code --enable-native-access} (Netty's epoll), {@code -XX:ActiveProcessorCount} (the cores the ideal
     * totals assume must be the cores the server's pools and carriers see) and {@code -Djdk.pollerMode} (how
     * the virtual engine's parked sockets are watched), never memory, agents or debugging.
     */
    public static List<String> jvmArgs() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--enable-native-access") || a.startsWith("-XX:ActiveProcessorCount=")
                        || a.startsWith("-Djdk.pollerMode=")).toList();
    }

    /** One fresh JVM for the variant: every workload in it, warm-up first; failures become rows. */
    public List<RunResult> run(Variant variant, List<Workload> plan) throws InterruptedException {
        List<RunResult> results = new ArrayList<>();
        progress.now(variant.label() + " · starting");
        long t0 = System.nanoTime();
        ServerProcess server;
        try {
            server = ServerProcess.start(variant.engine(), variant.serveArgs(), jvmArgs(), settings.startWithin());
        } catch (UserError e) {
            for (Workload w : plan) {
                results.add(RunResult.failed(variant, w, null, e.getMessage(), ideal(variant, w, w.perRequest()), settings.clients()));
                progress.stepDone();
            }
            progress.say(stdout, String.format("  %-" + labelWidth + "s  failed to start: %s", variant.label(), Story.firstLine(e.getMessage())));
            return results;
        }
        try (server) {
            RunResult.Server info = new RunResult.Server(server.pid(), server.details(), (System.nanoTime() - t0) / 1000);
            for (Workload w : plan) {
                progress.now(variant.label() + " · " + w.key());
                RunResult result = run(variant, w, server, info);
                results.add(result);
                progress.stepDone();
                progress.say(stdout, summary(result, labelWidth));
            }
        }
        return results;
    }

    private RunResult run(Variant variant, Workload w, ServerProcess server, RunResult.Server info) throws InterruptedException {
        int clients = settings.clients();
        Duration requestTimeout = settings.requestTimeout();
        Optional<IdealTotal> ideal = ideal(variant, w, w.perRequest());
        if (!server.isAlive()) {
            return RunResult.failed(variant, w, info, "the server exited before this run; its last output:\n" + server.lastOutput(), ideal, clients);
        }
        RunResult.Warmup warm = null;
        int warmup = settings.warmup();
        if (warmup > 0) {
            progress.now(variant.label() + " · " + w.key() + " · warm-up");
            List<LabClient.Sample> samples = LabClient.fire(server.target(w.warmupPath()), warmup, requestTimeout);
            warm = new RunResult.Warmup(w.warmupPath(), warmup, RunStats.of(samples).totalMicros(),
                    (int) samples.stream().filter(s -> !s.ok()).count());
            if (warm.failed() > 0 && server.awaitExit(Duration.ofSeconds(2))) {
                return RunResult.failed(variant, w, info, exited(server, "the warm-up", samples), ideal, clients);
            }
        }
        // t for this row: the same request alone in this JVM, timed until it is stable (see AloneTime); the
        // calibration's t came from another JVM, and JIT state makes the same n cost differently at first
        Duration alone = w.perRequest();
        String aloneNote = null;
        if (w.kind() == Workload.Kind.CPU) {
            progress.now(variant.label() + " · " + w.key() + " · alone");
            List<List<LabClient.Sample>> failedAlone = new ArrayList<>();
            AloneTime timed = AloneTime.measure(() -> {
                List<LabClient.Sample> one = LabClient.fire(server.target(w.path()), 1, requestTimeout);
                LabClient.Sample s = one.get(0);
                if (s.ok() && s.hasServerTimes()) return s.finishedMicros() - s.startedMicros();
                failedAlone.add(one);
                return -1;
            }, w.perRequest());
            if (timed == null) {
                if (server.awaitExit(Duration.ofSeconds(2))) {
                    return RunResult.failed(variant, w, info, exited(server, "a request alone", failedAlone.get(0)), ideal, clients);
                }
            } else {
                alone = timed.t();
                aloneNote = timed.note();
                ideal = ideal(variant, w, alone);
            }
        }
        List<List<LabClient.Sample>> reps = new ArrayList<>();
        int repeat = settings.repeat();
        for (int r = 0; r < repeat; r++) {
            progress.now(variant.label() + " · " + w.key() + (repeat > 1 ? " · run " + (r + 1) + "/" + repeat : ""));
            reps.add(LabClient.fire(server.target(w.path()), clients, requestTimeout));
        }
        String error = null;
        List<LabClient.Sample> all = reps.stream().flatMap(List::stream).toList();
        if (!all.stream().allMatch(LabClient.Sample::ok)) {
            error = server.awaitExit(Duration.ofSeconds(2)) ? exited(server, "the run", all) : failures(all);
        }
        return new RunResult(variant, w, List.copyOf(reps), RunResult.medianIndex(reps), warm, info, error, alone, aloneNote, ideal, clients);
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

    private Optional<IdealTotal> ideal(Variant variant, Workload w, Duration alone) {
        return IdealTotal.of(variant.model(), w.kind(), settings.clients(), alone, settings.cores());
    }

    /** "  threadpool+gil   cpu  total 5.12 s (ideal 4.90 s, 1.04 ×); warm-up 4 × /fib/36 in 0.21 s". */
    private static String summary(RunResult r, int labelWidth) {
        StringBuilder b = new StringBuilder(String.format("  %-" + labelWidth + "s  %-3s  ", r.variant().label(), r.workload().key()));
        if (!r.answered()) return b.append("failed: ").append(Story.firstLine(r.error())).toString();
        b.append("total ").append(Format.micros(r.stats().totalMicros()));
        if (r.workload().kind() == Workload.Kind.CPU) b.append(", one alone ").append(Format.seconds(r.alone()));
        r.ideal().ifPresent(i -> b.append(" (ideal ").append(Format.seconds(i.total()))
                .append(r.overIdeal().map(x -> ", " + Format.number(x, 2) + " ×").orElse(r.tMisMeasured() ? ", below it: t mis-measured" : ""))
                .append(')'));
        if (r.warmup() != null) {
            b.append("; warm-up ").append(r.warmup().requests()).append(" × ").append(r.warmup().path()).append(" in ")
                    .append(Format.micros(r.warmup().micros()));
        }
        if (r.error() != null) b.append("; ").append(r.stats().failed()).append(" failed: ").append(Story.firstLine(r.error()));
        return b.toString();
    }

}
