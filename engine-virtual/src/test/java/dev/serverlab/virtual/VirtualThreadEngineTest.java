package dev.serverlab.virtual;

import dev.serverlab.api.conformance.TestHttp;
import dev.serverlab.api.conformance.ShapeAttempts;
import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.ThreadServer;
import dev.serverlab.api.conformance.TestHttp.Answer;
import dev.serverlab.api.conformance.TestHttp.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import static dev.serverlab.api.conformance.TestHttp.concurrently;
import static dev.serverlab.api.conformance.TestHttp.get;
import static dev.serverlab.api.conformance.TestHttp.inBackground;
import static dev.serverlab.api.conformance.TestHttp.maxInService;
import static dev.serverlab.api.conformance.TestHttp.spanMicros;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VirtualThreadEngineTest {

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    private final List<RunningServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(RunningServer::close);
    }

    private ThreadServer start(EngineConfig config) throws IOException {
        RunningServer server = new VirtualThreadEngine().start(config, Application.experiment());
        servers.add(server);
        return (ThreadServer) server;
    }

    @Test
    void isFoundByName() {
        assertThat(Engines.discover().find("virtual")).isInstanceOf(VirtualThreadEngine.class);
    }

    @Test
    void servesTheExperimentOnVirtualThreads() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral());
        Answer hello = get(server.port(), "/");
        assertThat(hello.status()).isEqualTo(200);
        assertThat(hello.body()).isEqualTo("Hello, World!\n");
        assertThat(hello.servedBy()).matches(Timing.pid() + "/virtual-\\d+");
        assertThat(get(server.port(), "/fib/10").body()).isEqualTo("55\n");
        assertThat(get(server.port(), "/nope").status()).isEqualTo(404);
        assertThat(server.details()).contains("carriers=" + CORES).contains("no gil");
    }

    @Test
    void tenSleepsTakeOneRound() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral());
        long start = System.nanoTime();
        List<Answer> answers = concurrently(server.port(), 10, "/sleep/300");
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(maxInService(answers)).as("all ten in service at once").isEqualTo(10);
        assertThat(answers.stream().map(Answer::servedBy).distinct().count()).isEqualTo(10);
        assertThat(elapsedMillis).isLessThan(1500);
    }

    @Test
    void cpuBoundRequestsRunCoresAtATimeEachToCompletion() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral());
        String path = "/fib/" + calibrate(server.port());
        List<Answer> answers = concurrently(server.port(), 2 * CORES, path);
        // A virtual thread keeps its carrier until its fib is done: never more in service than carriers.
        assertThat(maxInService(answers)).isLessThanOrEqualTo(CORES);
        if (CORES >= 2) assertThat(maxInService(answers)).isGreaterThanOrEqualTo(2);
    }

    @Test
    void withTheGilCpuBoundRequestsTakeTurns() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral().withOption("gil", "true"));
        String path = "/fib/" + calibrate(server.port());
        ShapeAttempts.assertShape("virtual, gil on: " + path + " takes turns, no faster than serial", 4, () -> {
            long serialBefore = serialMicros(server.port(), path);
            List<Answer> together = concurrently(server.port(), 4, path);
            long serial = Math.min(serialBefore, serialMicros(server.port(), path));
            long alone = serial / 4;
            long shortest = together.stream().mapToLong(Answer::serviceMicros).min().orElseThrow();
            String seen = String.format("%d in service at once; together %d ms, serial %d ms, alone %d ms, each together %s ms",
                    maxInService(together), spanMicros(together) / 1000, serial / 1000, alone / 1000,
                    together.stream().map(a -> Long.toString(a.serviceMicros() / 1000)).toList());
            // Waiting for the lock parks a virtual thread, so all four get a carrier and are in service at once.
            boolean shown = maxInService(together) == 4 && spanMicros(together) >= 0.8 * serial && shortest >= 2 * alone;
            return shown ? null : seen;
        });
    }

    @Test
    void closeLetsInFlightRequestsFinishAndEndsEveryThread() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        Future<List<Answer>> answers = inBackground(server.port(), 5, "/sleep/400");
        awaitValue(server::openConnections, 5);

        long start = System.nanoTime();
        server.close();
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(answers.get(30, TimeUnit.SECONDS)).hasSize(5).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(closeMillis).isLessThan(5000);
        assertThat(server.threadsTerminated()).isTrue();
        assertThat(liveThreadsNamed("virtual-acceptor")).isEmpty();
    }

    @Test
    void closeServesAConnectionWhoseThreadWaitsForACarrier() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        String path = "/fib/" + (calibrate(server.port()) + 2);   // about half a second or more
        Future<List<Answer>> fibs = inBackground(server.port(), CORES, path);
        awaitValue(server::openConnections, CORES);
        Thread.sleep(50);   // let the fibs take every carrier
        Future<List<Answer>> hello = inBackground(server.port(), 1, "/");
        awaitValue(server::openConnections, CORES + 1);

        server.close();

        assertThat(fibs.get(30, TimeUnit.SECONDS)).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(hello.get(30, TimeUnit.SECONDS).get(0).status()).as("accepted before close, so served").isEqualTo(200);
        assertThat(server.threadsTerminated()).isTrue();
    }

    @Test
    void closeEndsIdleKeptConnectionsAtOnce() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        try (Connection idle = Connection.open(server.port())) {
            idle.send("/", true);
            assertThat(idle.read().status()).isEqualTo(200);
            long start = System.nanoTime();
            server.close();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("not the 30 s idle timeout").isLessThan(5000);
            assertThat(idle.closedByServerWithin(Duration.ofSeconds(5))).isTrue();
        }
        assertThat(server.threadsTerminated()).isTrue();
    }

    @Test
    void connectionsBeyondMaxConnectionsWaitInTheBacklog() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withLimits(EngineConfig.ephemeral().limits().withMaxConnections(2));
        ThreadServer server = start(config);
        Connection first = Connection.open(server.port());
        try (Connection second = Connection.open(server.port())) {
            first.send("/", true);
            assertThat(first.read().status()).isEqualTo(200);
            second.send("/", true);
            assertThat(second.read().status()).isEqualTo(200);
            try (Connection third = Connection.open(server.port())) {
                third.send("/", false);
                Thread.sleep(300);
                assertThat(server.openConnections()).as("the third is not accepted yet").isEqualTo(2);

                long releasedAt = Timing.nowMicros();
                first.close();
                Answer answer = third.read();
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.acceptedMicros()).as("accepted only once a connection closed").isGreaterThanOrEqualTo(releasedAt);
            }
        } finally {
            first.close();
        }
    }

    @Test
    void optionsAreChecked() {
        VirtualThreadEngine engine = new VirtualThreadEngine();
        assertThat(engine.options()).extracting(o -> o.name()).containsExactly("gil", "switch-interval");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withWorkers(4), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--workers");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withOption("switch-interval", "5ms"), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--gil");
    }

    /** The smallest n whose fib takes at least 100 ms in this server (capped at 40). */
    static int calibrate(int port) throws IOException {
        for (int i = 0; i < 3; i++) get(port, "/fib/22");   // let the JIT compile fib first
        int n = 22;
        while (n < 40 && get(port, "/fib/" + n).serviceMicros() < 100_000) n++;
        return n;
    }

    static long serialMicros(int port, String path) throws IOException {
        long total = 0;
        for (int i = 0; i < 4; i++) total += get(port, path).serviceMicros();
        return total;
    }

    static void awaitValue(IntSupplier value, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (value.getAsInt() != expected) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("expected " + expected + " but was " + value.getAsInt());
            Thread.sleep(5);
        }
    }

    static List<String> liveThreadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive).map(Thread::getName).filter(n -> n.startsWith(prefix)).toList();
    }
}
