package dev.serverlab.threadpool;

import dev.serverlab.api.conformance.TestHttp;
import dev.serverlab.api.conformance.ShapeAttempts;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.TestHttp.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.serverlab.api.conformance.TestHttp.concurrently;
import static dev.serverlab.api.conformance.TestHttp.get;
import static dev.serverlab.api.conformance.TestHttp.maxInService;
import static dev.serverlab.api.conformance.TestHttp.spanMicros;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The experiment's threaded result, on four pool threads: with the GIL, four CPU-bound requests are all in
 * service at once yet no faster together than one after another; without it they run in parallel.
 * The work is calibrated at the start so that one request takes 100 to 200 ms on this machine.
 */
class ThreadPoolGilTest {

    private final List<RunningServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(RunningServer::close);
    }

    private RunningServer start(boolean gil) throws IOException {
        EngineConfig config = EngineConfig.ephemeral().withWorkers(4);
        if (gil) config = config.withOption("gil", "true");
        RunningServer server = new ThreadPoolEngine().start(config, Application.experiment());
        servers.add(server);
        return server;
    }

    @Test
    void withTheGilFourFibsShareOneCpuLikePythonThreads() throws Exception {
        RunningServer server = start(true);
        String path = "/fib/" + calibrate(server.port());
        ShapeAttempts.assertShape("gil on: " + path + " takes turns, no faster than serial", 4, () -> {
            long serialBefore = serialMicros(server.port(), path);
            List<Answer> together = concurrently(server.port(), 4, path);
            long serial = Math.min(serialBefore, serialMicros(server.port(), path));
            long alone = serial / 4;
            long shortest = together.stream().mapToLong(Answer::serviceMicros).min().orElseThrow();
            String seen = String.format("%d in service at once; together %d ms, serial %d ms, alone %d ms, each together %s ms",
                    maxInService(together), spanMicros(together) / 1000, serial / 1000, alone / 1000,
                    together.stream().map(a -> Long.toString(a.serviceMicros() / 1000)).toList());
            // All four in service at once, no better than serial, and taking turns rather than queueing:
            // even the first to finish took several times longer than alone.
            boolean shown = maxInService(together) == 4 && spanMicros(together) >= 0.8 * serial && shortest >= 2 * alone;
            return shown ? null : seen;
        });
    }

    @Test
    void withoutTheGilFourFibsRunInParallel() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two cores or more");
        RunningServer server = start(false);
        String path = "/fib/" + calibrate(server.port());
        ShapeAttempts.assertShape("gil off: " + path + " runs in parallel", 6, () -> {
            long serial = serialMicros(server.port(), path);
            List<Answer> together = concurrently(server.port(), 4, path);
            long span = spanMicros(together);
            String seen = String.format("%d in service at once; together %d ms, serial %d ms",
                    maxInService(together), span / 1000, serial / 1000);
            return maxInService(together) == 4 && span < 0.8 * serial ? null : seen;
        });
    }

    @Test
    void theGilBarelyTouchesIoBoundRequests() throws Exception {
        RunningServer server = start(true);
        long start = System.nanoTime();
        List<Answer> answers = concurrently(server.port(), 4, "/sleep/300");
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // A sleep holds no lock: four sleeps take one round, not four.
        assertThat(maxInService(answers)).isEqualTo(4);
        assertThat(elapsedMillis).isLessThan(850);
    }

    /** The smallest n whose fib takes at least 100 ms in this server (capped at 40). */
    static int calibrate(int port) throws IOException {
        for (int i = 0; i < 3; i++) get(port, "/fib/22");   // let the JIT compile fib first
        int n = 22;
        while (n < 40 && get(port, "/fib/" + n).serviceMicros() < 100_000) n++;
        return n;
    }

    /** Four requests one after another: their service times added up. */
    static long serialMicros(int port, String path) throws IOException {
        long total = 0;
        for (int i = 0; i < 4; i++) total += get(port, path).serviceMicros();
        return total;
    }
}
