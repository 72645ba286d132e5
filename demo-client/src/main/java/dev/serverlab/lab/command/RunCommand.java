package dev.serverlab.lab.command;

import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.load.LabClient;
import dev.serverlab.lab.load.Target;
import dev.serverlab.lab.report.RunReport;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "run", description = {
        "Fire N concurrent clients, each sending one request, at an engine started here or at a running server,",
        "and print each request's life: when it connected, was accepted, started, finished, and who served it."})
public final class RunCommand implements Callable<Integer> {

    @ArgGroup(validate = false, heading = EngineSelection.HEADING)
    EngineSelection selection = new EngineSelection();

    @Option(names = "--url", paramLabel = "URL", description = "A running server to target instead of --engine, e.g. http://127.0.0.1:40404")
    String url;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "10", description = "Concurrent clients (default: ${DEFAULT-VALUE}, as in the original experiment).")
    int clients;

    @Option(names = "--path", paramLabel = "PATH", description = "What each client asks for (default: /fib/32, CPU-bound; try /sleep/1000 for IO-bound).")
    String path;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "120s", description = "How long a client waits for its answer (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (clients < 1 || clients > 10_000) throw new UserError(ExitCode.USAGE, "--clients takes 1 to 10000, not " + clients);
        if ((url == null) == !selection.given()) {
            throw new UserError(ExitCode.USAGE, "give either --engine NAME (start it here) or --url URL (a running server)");
        }
        if (url != null) EngineSelection.rejectEngineOptions(spec, "configures an engine that run starts; it does not apply with --url");
        Duration wait = dev.serverlab.api.EngineOption.parseDuration("timeout", timeout);
        PrintWriter out = spec.commandLine().getOut();
        if (url != null) {
            Target target = Target.parse(url);
            if (path != null) target = target.withPath(checkedPath(path));
            else if (target.path().equals("/") && !url.matches(".*://[^/]+/.*")) target = target.withPath(DEFAULT_PATH);
            return run(out, target.url(), target, wait);
        }
        try (RunningServer server = selection.start(0, Application.experiment())) {
            Target target = Target.of(server.address(), path != null ? checkedPath(path) : DEFAULT_PATH);
            String name = selection.engine + (server.details().isEmpty() ? "" : " (" + server.details() + ")");
            return run(out, name, target, wait);
        }
    }

    static final String DEFAULT_PATH = "/fib/32";

    private static String checkedPath(String p) {
        if (!p.startsWith("/") || p.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            throw new UserError(ExitCode.USAGE, "--path must start with / and contain no spaces, not '" + p + "'");
        }
        return p;
    }

    private int run(PrintWriter out, String name, Target target, Duration wait) throws InterruptedException {
        out.printf("%s: %d clients x GET %s%n", name, clients, target.path());
        out.flush();
        List<LabClient.Sample> samples = LabClient.fire(target, clients, wait);
        if (samples.stream().allMatch(s -> "connection refused".equals(s.error()))) {
            throw new UserError(ExitCode.UNAVAILABLE, "cannot reach " + target.url() + ": connection refused. Is a server running there?");
        }
        RunReport.print(out, samples);
        out.flush();
        return samples.stream().allMatch(LabClient.Sample::ok) ? 0 : ExitCode.FAILED;
    }
}
