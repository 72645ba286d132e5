package dev.serverlab.lab.command;

import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Limits;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.launch.ServerProcess;
import dev.serverlab.lab.load.C10kRun;
import dev.serverlab.lab.load.FileLimits;
import dev.serverlab.lab.load.Target;
import dev.serverlab.lab.report.C10kReport;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "c10k", description = {
        "The C10K problem: open N connections to an engine (started in its own JVM) or a running server, send one waiting request on each at once, and check all N answers.",
        "Reports the connect time, the time until the last answer, failures by kind, and the server's resident memory per connection."})
public final class C10kCommand implements Callable<Integer> {

    @ArgGroup(validate = false, heading = EngineSelection.HEADING)
    EngineSelection selection = new EngineSelection();

    @Option(names = "--url", paramLabel = "URL", description = "A running server to test instead of --engine.")
    String url;

    @Option(names = "--server-pid", paramLabel = "PID", description = "With --url: the server's process, to measure its memory.")
    Long serverPid;

    @Option(names = {"-c", "--connections"}, paramLabel = "N", defaultValue = "10000", description = "Concurrent connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--path", paramLabel = "P", defaultValue = "/sleep/1000", description = "What each connection asks for (default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "60s", description = "How long to wait for all answers once sent (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--connect-timeout", paramLabel = "D", defaultValue = "10s", description = "How long one connection may take to open (default: ${DEFAULT-VALUE}).")
    String connectTimeout;

    @Option(names = "--sources", paramLabel = "K", description = "Loopback source addresses 127.0.0.2 ... to spread over (default: enough for N, at least 2).")
    Integer sources;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = "--server-jvm-arg", paramLabel = "ARG", description = "A JVM option for the engine's JVM (repeatable).")
    List<String> serverJvmArgs = new ArrayList<>();

    @Spec
    CommandSpec spec;

    /** Files beyond the connections: the JVM's jars, selectors, pipes and logs. */
    private static final int SPARE_FILES = 512;

    @Override
    public Integer call() throws IOException {
        if ((url == null) == !selection.given()) {
            throw new UserError(ExitCode.USAGE, "give either --engine NAME (started in its own JVM) or --url URL (a running server)");
        }
        if (url != null) {
            EngineSelection.rejectEngineOptions(spec, "configures an engine that c10k starts; it does not apply with --url");
            EngineSelection.reject(spec, "applies to an engine that c10k starts, not with --url", "--server-jvm-arg");
        } else {
            EngineSelection.reject(spec, "does not apply with --engine: c10k starts the engine on a free loopback port (use --url for a server of yours)",
                    "--host", "--port");
            EngineSelection.reject(spec, "applies with --url only: with --engine, c10k knows the server's process", "--server-pid");
        }
        if (connections < 1 || connections > 1_000_000) throw new UserError(ExitCode.USAGE, "--connections takes 1 to 1000000, not " + connections);
        if (sources != null && (sources < 1 || sources > 250)) throw new UserError(ExitCode.USAGE, "--sources takes 1 to 250, not " + sources);
        BenchCommand.checkedPath(path);
        Duration answerTimeout = EngineOption.parseDuration("timeout", timeout);
        Duration connectWait = EngineOption.parseDuration("connect-timeout", connectTimeout);
        int k = sources != null ? sources : C10kRun.sourcesFor(connections);
        if ((long) k * C10kRun.ephemeralPorts() < connections) {
            throw new UserError(ExitCode.USAGE, connections + " connections need more than " + k + " source addresses of "
                    + C10kRun.ephemeralPorts() + " ports each; raise --sources");
        }
        PrintWriter err = spec.commandLine().getErr();
        // Checked before anything starts: this JVM holds N sockets, and an engine started here inherits the limit.
        FileLimits.ensure(connections + (long) SPARE_FILES);
        PrintWriter out = spec.commandLine().getOut();
        if (url != null) {
            Target target = Target.parse(url).withPath(path);
            return report(out, run(target, null, serverPid == null ? -1 : serverPid, k, connectWait, answerTimeout, err));
        }
        // The engine's own cap (10,000 by default) would refuse the last connections: lift it above N.
        Integer max = connections + 100 > Limits.DEFAULTS.maxConnections() ? connections + 100 : null;
        try (ServerProcess server = EngineLaunch.start(selection, max, serverJvmArgs)) {
            String name = server.engine() + (server.details().isEmpty() ? "" : " (" + server.details() + ")");
            return report(out, run(server.target(path), name, server.pid(), k, connectWait, answerTimeout, err));
        }
    }

    private record Named(C10kRun.Result result, String engine) {
    }

    private Named run(Target target, String engine, long pid, int k, Duration connectWait, Duration answerTimeout, PrintWriter err)
            throws IOException {
        err.printf("c10k: %s%s, %,d connections%n", target.url(), engine == null ? "" : " (" + engine + ")", connections);
        C10kRun.Plan plan = new C10kRun.Plan(target, connections, k, connectWait, answerTimeout, expectedBody(target.path()), pid);
        C10kRun.Result result = C10kRun.run(plan, line -> {
            err.println("  " + line);
            err.flush();
        });
        return new Named(result, engine);
    }

    /** The body the experiment's routes answer with, where it is known: /sleep/MS says MS, / says hello. */
    public static byte[] expectedBody(String path) {
        String body = null;
        if (path.equals("/")) body = "Hello, World!\n";
        else if (path.matches("/sleep/\\d{1,9}")) body = Integer.parseInt(path.substring(7)) + "\n";
        return body == null ? null : body.getBytes(StandardCharsets.US_ASCII);
    }

    private int report(PrintWriter out, Named named) {
        C10kRun.Result r = named.result();
        out.print(json ? C10kReport.json(r, new C10kReport.Settings(named.engine(), timeout, connectTimeout, serverJvmArgs))
                : C10kReport.text(r, named.engine()));
        out.flush();
        return r.ok() == r.plan().connections() ? 0 : ExitCode.FAILED;
    }
}
