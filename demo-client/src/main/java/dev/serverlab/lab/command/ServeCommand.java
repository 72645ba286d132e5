package dev.serverlab.lab.command;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", description = {
        "Serve the experiment's routes with one engine until Ctrl-C (or SIGTERM), then shut down gracefully.",
        "Routes: GET / (hello), POST / (echo), GET /fib/{n} (CPU), GET /sleep/{ms} (IO)."})
public final class ServeCommand implements Callable<Integer> {

    @ArgGroup(validate = false, heading = EngineSelection.HEADING)
    EngineSelection selection = new EngineSelection();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        RunningServer server = selection.start(EngineConfig.DEFAULT_PORT, Application.experiment());
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGINT and SIGTERM run shutdown hooks: close gracefully there, so accepted requests are answered.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("stopping: finishing requests in flight...");
            out.flush();
            server.close();
            out.println("stopped");
            out.flush();
            stopped.countDown();
        }, "lab-shutdown"));
        String details = server.details().isEmpty() ? "" : " (" + server.details() + ")";
        String host = server.address().getAddress().getHostAddress();
        out.printf("%s serving on http://%s:%d%s; Ctrl-C to stop%n", selection.engine, host.contains(":") ? "[" + host + "]" : host,
                server.port(), details);
        out.printf("try: curl -s http://%s:%d/fib/20%n", host.contains(":") ? "[" + host + "]" : host, server.port());
        out.flush();
        stopped.await();
        return 0;
    }
}
