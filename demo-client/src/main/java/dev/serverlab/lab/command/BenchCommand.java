package dev.serverlab.lab.command;

import dev.serverlab.api.EngineOption;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.launch.ServerProcess;
import dev.serverlab.lab.load.FileLimits;
import dev.serverlab.lab.load.LoadGenerator;
import dev.serverlab.lab.load.ServerCpu;
import dev.serverlab.lab.load.Target;
import dev.serverlab.lab.report.BenchReport;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;

@Command(name = "bench", description = {
        "Load an engine (started in its own JVM) or any HTTP/1.1 server with keep-alive requests; report requests per second, latency percentiles and errors by kind.",
        "Closed loop by default: each connection sends its next request when the answer arrives.",
        "With --rate: an open loop at a fixed rate; latency counts from each request's intended send time."})
public final class BenchCommand implements Callable<Integer> {

    @ArgGroup(validate = false, heading = EngineSelection.HEADING)
    EngineSelection selection = new EngineSelection();

    @Option(names = "--url", paramLabel = "URL", description = "A running server to load instead of --engine, e.g. http://127.0.0.1:8080/")
    String url;

    @Option(names = {"-c", "--connections"}, paramLabel = "C", defaultValue = "100", description = "Keep-alive connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = {"-d", "--duration"}, paramLabel = "D", defaultValue = "10s", description = "How long to measure (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = {"-w", "--warmup"}, paramLabel = "W", defaultValue = "auto", description = {
            "Load sent before measuring, for the JIT and the pools (default: ${DEFAULT-VALUE}): auto warms up for at least 2 s, until "
                    + LoadGenerator.STEADY_SECONDS + " one-second rates agree within " + LoadGenerator.STEADY_SPREAD_PERCENT
                    + "%%, at most --max-warmup; a duration warms up that long; 0 for none."})
    String warmup;

    @Option(names = "--max-warmup", paramLabel = "D", defaultValue = "30s", description = "With --warmup auto: the longest warm-up, steady or not (default: ${DEFAULT-VALUE}).")
    String maxWarmup;

    @Option(names = "--path", paramLabel = "P", description = "What to ask for (default: /, or the URL's path).")
    String path;

    @Option(names = {"-R", "--rate"}, paramLabel = "R", description = "Open loop: R requests per second in total, on a fixed schedule.")
    Double rate;

    @Option(names = {"-t", "--threads"}, paramLabel = "T", description = "Selector threads of the generator (default: one per core, at most C).")
    Integer threads;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "5s", description = "A request unanswered this long is a timeout error (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--json", description = "Print the result as one JSON object (for scripts); progress still goes to stderr.")
    boolean json;

    @Option(names = "--latency", description = "Print the full latency spectrum in HdrHistogram's percentile layout (milliseconds), as wrk2 --latency does.")
    boolean latency;

    @Option(names = "--hlog", paramLabel = "FILE", description = "Write the measured latencies to FILE as an HdrHistogram log (HistogramLogWriter; microseconds).")
    Path hlog;

    @Option(names = "--server-pid", paramLabel = "PID", description = "With --url: the server's process, to measure its CPU time per request.")
    Long serverPid;

    @Option(names = {"-q", "--quiet"}, description = "No progress line on stderr.")
    boolean quiet;

    @Option(names = "--server-jvm-arg", paramLabel = "ARG", description = "A JVM option for the engine's JVM, e.g. -XX:StartFlightRecording=filename=nio.jfr (repeatable).")
    List<String> serverJvmArgs = new ArrayList<>();

    @Spec
    CommandSpec spec;

    /** Connections from one source address to one server: most of the ephemeral port range. */
    static final int MAX_CONNECTIONS = 25_000;

    @Override
    public Integer call() throws InterruptedException {
        if ((url == null) == !selection.given()) {
            throw new UserError(ExitCode.USAGE, "give either --engine NAME (started in its own JVM) or --url URL (a running server)");
        }
        if (url != null) {
            EngineSelection.rejectEngineOptions(spec, "configures an engine that bench starts; it does not apply with --url");
            EngineSelection.reject(spec, "applies to an engine that bench starts, not with --url", "--server-jvm-arg");
            if (serverPid != null && ServerCpu.nanos(serverPid).isEmpty()) {
                throw new UserError(ExitCode.USAGE, "--server-pid " + serverPid + ": no such process, or its CPU time is not readable in /proc");
            }
        } else {
            EngineSelection.reject(spec, "does not apply with --engine: bench starts the engine on a free loopback port (use --url for a server of yours)",
                    "--host", "--port");
            EngineSelection.reject(spec, "applies with --url only: with --engine, bench knows the server's process", "--server-pid");
        }
        if (!warmup.trim().equals("auto")) EngineSelection.reject(spec, "applies with --warmup auto only", "--max-warmup");
        if (json) EngineSelection.reject(spec, "prints text; with --json the percentiles are in latencyMicros", "--latency");
        if (connections < 1 || connections > MAX_CONNECTIONS) {
            throw new UserError(ExitCode.USAGE, "--connections takes 1 to " + MAX_CONNECTIONS + " (one source address; ./lab c10k goes further), not " + connections);
        }
        if (rate != null && !(rate > 0 && rate <= 10_000_000)) throw new UserError(ExitCode.USAGE, "--rate takes a number of requests per second above 0, not " + rate);
        if (threads != null && (threads < 1 || threads > 256)) throw new UserError(ExitCode.USAGE, "--threads takes 1 to 256, not " + threads);
        Duration measured = EngineOption.parseDuration("duration", duration);
        LoadGenerator.Warmup warm = warmup(warmup, maxWarmup);
        Duration wait = EngineOption.parseDuration("timeout", timeout);
        int t = threads != null ? threads : Math.min(Runtime.getRuntime().availableProcessors(), connections);
        FileLimits.ensure(connections + 512L);
        PrintWriter out = spec.commandLine().getOut();

        if (url != null) {
            Target target = Target.parse(url);
            if (path != null) target = target.withPath(checkedPath(path));
            return run(out, target, null, serverPid == null ? -1 : serverPid, t, measured, warm, wait);
        }
        try (ServerProcess server = EngineLaunch.start(selection, null, serverJvmArgs)) {
            Target target = server.target(path != null ? checkedPath(path) : "/");
            String name = server.engine() + (server.details().isEmpty() ? "" : " (" + server.details() + ")");
            return run(out, target, name, server.pid(), t, measured, warm, wait);
        }
    }

    private int run(PrintWriter out, Target target, String engine, long pid, int t, Duration measured, LoadGenerator.Warmup warm,
                    Duration wait) throws InterruptedException {
        LoadGenerator.Plan plan = new LoadGenerator.Plan(target, connections, t, warm, measured, rate == null ? 0 : rate, wait);
        PrintWriter err = spec.commandLine().getErr();
        boolean console = System.console() != null;
        if (!quiet) {
            err.printf("bench: %s%s, %d connections, %s for %s%s%n", target.url(), engine == null ? "" : " (" + engine + ")",
                    connections, plan.openLoop() ? String.format(Locale.ROOT, "open loop at %,.0f req/s", rate) : "closed loop",
                    BenchReport.seconds(measured), warmupText(warm));
        }
        LongSupplier cpu = pid < 0 || ServerCpu.nanos(pid).isEmpty() ? null : () -> ServerCpu.nanos(pid).orElse(-1L);
        LoadGenerator.Result result = LoadGenerator.run(plan, (elapsed, warmingUp, current, errors) -> {
            if (quiet) return;
            String line = String.format(Locale.ROOT, "  %5.1f s  %-9s %,12.0f req/s  errors %,d", elapsed,
                    warmingUp ? "warm-up" : "measuring", current, errors);
            if (console) err.print("\r" + line + "   ");
            else err.println(line);
            err.flush();
        }, cpu);
        if (!quiet && console) err.println();
        if (result.totalAnswered() == 0 && result.errors().connect() > 0) {
            throw new UserError(ExitCode.UNAVAILABLE, "cannot connect to " + target.url() + " (" + result.errors().connect()
                    + " failed connects). Is a server running there?");
        }
        if (hlog != null) BenchReport.writeHistogramLog(hlog, result);
        BenchReport.Settings settings = new BenchReport.Settings(engine, warmup, maxWarmup, pid, serverJvmArgs);
        out.print(json ? BenchReport.json(result, settings) : BenchReport.text(result, engine));
        if (latency && !json) BenchReport.percentileDistribution(out, result);
        out.flush();
        long failed = result.errors().total() + result.unfinished();
        if (failed > 0 && !quiet) err.printf("bench: %,d requests failed or went unanswered%n", failed);
        return failed > 0 ? ExitCode.FAILED : ExitCode.OK;
    }

    private static String warmupText(LoadGenerator.Warmup w) {
        if (w.most().isZero()) return "";
        if (w.isFixed()) return " after " + BenchReport.seconds(w.least()) + " of warm-up";
        return " after a warm-up until the rate is steady (at most " + BenchReport.seconds(w.most()) + ")";
    }

    /** The warm-up --warmup and --max-warmup describe. */
    static LoadGenerator.Warmup warmup(String warmup, String maxWarmup) {
        if (warmup.trim().equals("0")) return LoadGenerator.Warmup.fixed(Duration.ZERO);
        if (!warmup.trim().equals("auto")) return LoadGenerator.Warmup.fixed(EngineOption.parseDuration("warmup", warmup));
        Duration most = EngineOption.parseDuration("max-warmup", maxWarmup);
        Duration least = most.compareTo(AUTO_LEAST) < 0 ? most : AUTO_LEAST;
        return LoadGenerator.Warmup.untilSteady(least, most);
    }

    /** An automatic warm-up lasts at least this long: the first seconds under load are the JIT's. */
    private static final Duration AUTO_LEAST = Duration.ofSeconds(2);

    /** A path to request: it starts with / and holds nothing that would break the request line. */
    static String checkedPath(String p) {
        if (!p.startsWith("/") || p.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            throw new UserError(ExitCode.USAGE, "--path must start with / and contain no spaces, not '" + p + "'");
        }
        return p;
    }
}
