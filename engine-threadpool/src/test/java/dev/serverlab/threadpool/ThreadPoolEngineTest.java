package dev.serverlab.threadpool;

import dev.serverlab.api.conformance.TestHttp;
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
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThreadPoolEngineTest {

    private final List<RunningServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(RunningServer::close);
    }

    private ThreadServer start(EngineConfig config) throws IOException {
        RunningServer server = new ThreadPoolEngine().start(config, Application.experiment());
        servers.add(server);
        return (ThreadServer) server;
    }

    @Test
    void isFoundByName() {
        assertThat(Engines.discover().find("threadpool")).isInstanceOf(ThreadPoolEngine.class);
    }

    @Test
    void servesTheExperimentOnPoolThreads() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral());
        Answer hello = get(server.port(), "/");
        assertThat(hello.status()).isEqualTo(200);
        assertThat(hello.body()).isEqualTo("Hello, World!\n");
        assertThat(hello.servedBy()).matches(Timing.pid() + "/threadpool-[1-4]");
        assertThat(get(server.port(), "/fib/10").body()).isEqualTo("55\n");
        assertThat(get(server.port(), "/nope").status()).isEqualTo(404);
        assertThat(get(server.port(), "/fib/x").status()).isEqualTo(400);
        assertThat(server.details()).contains("threads=4").contains("no gil");
    }

    @Test
    void aKeptConnectionStaysOnOneThread() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral());
        try (Connection c = Connection.open(server.port())) {
            c.send("/", true);
            Answer first = c.read();
            c.send("/fib/5", true);
            Answer second = c.read();
            assertThat(second.body()).isEqualTo("5\n");
            assertThat(second.servedBy()).isEqualTo(first.servedBy());
        }
    }

    @Test
    void tenSleepsOnFourThreadsTakeThreeRounds() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral().withWorkers(4));
        long start = System.nanoTime();
        List<Answer> answers = concurrently(server.port(), 10, "/sleep/300");
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(maxInService(answers)).isEqualTo(4);
        assertThat(elapsedMillis).isGreaterThanOrEqualTo(850).isLessThan(2500);
        // The six that found every thread busy waited in the pool's queue, and their timing shows it.
        assertThat(answers.stream().filter(a -> a.queuedMicros() >= 150_000).count()).isGreaterThanOrEqualTo(6);
    }

    @Test
    void theWorkersOptionSetsThePoolSize() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral().withWorkers(2));
        List<Answer> answers = concurrently(server.port(), 4, "/sleep/200");
        assertThat(maxInService(answers)).isEqualTo(2);
        assertThat(answers.stream().map(Answer::servedBy).distinct().count()).isEqualTo(2);
        assertThat(server.details()).contains("threads=2");
    }

    @Test
    void closeServesTheQueuedConnectionsAndEndsEveryThread() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withWorkers(2));
        Future<List<Answer>> answers = inBackground(server.port(), 5, "/sleep/400");
        awaitValue(server::openConnections, 5);
        awaitValue(server::waiting, 3);   // two in service, three queued

        long start = System.nanoTime();
        server.close();
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(answers.get(30, TimeUnit.SECONDS)).hasSize(5).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(closeMillis).as("close waits for the queue to be served").isGreaterThanOrEqualTo(500);
        assertThat(liveThreadsNamed("threadpool-")).isEmpty();
    }

    @Test
    void closeFreesAThreadHeldByAnIdleKeptConnectionToServeTheQueue() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withWorkers(1));
        try (Connection idle = Connection.open(server.port())) {
            idle.send("/", true);
            assertThat(idle.read().status()).isEqualTo(200);
            // The only thread now waits for this connection's next request; the next client queues.
            Future<List<Answer>> queued = inBackground(server.port(), 1, "/sleep/10");
            awaitValue(server::waiting, 1);

            long start = System.nanoTime();
            server.close();
            long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(queued.get(30, TimeUnit.SECONDS).get(0).status()).isEqualTo(200);
            assertThat(idle.closedByServerWithin(Duration.ofSeconds(5))).isTrue();
            assertThat(closeMillis).as("not the 30 s idle timeout").isLessThan(5000);
        }
        assertThat(liveThreadsNamed("threadpool-")).isEmpty();
    }

    @Test
    void connectionsBeyondMaxConnectionsWaitInTheBacklog() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withWorkers(1)
                .withLimits(EngineConfig.ephemeral().limits().withMaxConnections(2));
        ThreadServer server = start(config);
        Connection holder = Connection.open(server.port());
        try (Connection queued = Connection.open(server.port())) {
            holder.send("/", true);
            assertThat(holder.read().status()).isEqualTo(200);
            queued.send("/", false);
            awaitValue(server::waiting, 1);
            try (Connection backlogged = Connection.open(server.port())) {
                backlogged.send("/", false);
                Thread.sleep(300);
                assertThat(server.waiting()).as("the third connection is not accepted yet").isEqualTo(1);

                long releasedAt = Timing.nowMicros();
                holder.close();
                Answer second = queued.read();
                Answer third = backlogged.read();
                assertThat(second.acceptedMicros()).isLessThan(releasedAt);
                assertThat(third.acceptedMicros()).as("accepted only once a connection closed").isGreaterThanOrEqualTo(releasedAt);
                assertThat(third.status()).isEqualTo(200);
            }
        } finally {
            holder.close();
        }
    }

    @Test
    void optionsAreChecked() {
        ThreadPoolEngine engine = new ThreadPoolEngine();
        assertThat(engine.options()).extracting(o -> o.name()).containsExactly("workers", "gil", "switch-interval");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withOption("switch-interval", "5ms"), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--gil");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withOption("offload", "2"), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--offload");
    }

    @Test
    void theGilShowsInTheDetails() throws Exception {
        RunningServer server = start(EngineConfig.ephemeral().withOption("gil", "true").withOption("switch-interval", "2ms"));
        assertThat(server.details()).contains("gil switch-interval=2ms");
        assertThat(get(server.port(), "/fib/20").body()).isEqualTo("6765\n");
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
