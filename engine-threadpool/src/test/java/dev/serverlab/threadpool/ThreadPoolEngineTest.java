package dev.serverlab.threadpool;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.RawHttp.Reply;
import dev.serverlab.api.conformance.RawHttp;
import dev.serverlab.api.conformance.ShapeApplication;
import dev.serverlab.api.conformance.ThreadShellSuite;
import dev.serverlab.api.server.Gil;
import dev.serverlab.api.server.ThreadServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.serverlab.api.conformance.Clients.inBackground;
import static dev.serverlab.api.conformance.Clients.maxInService;
import static dev.serverlab.api.conformance.Clients.spanMicros;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The thread shell's suite on a pool of four platform threads, and what only a pool shows: its queue. */
class ThreadPoolEngineTest extends ThreadShellSuite {

    @Override
    protected ServerEngine engine() {
        return new ThreadPoolEngine();
    }

    @Override
    protected String servingThread() {
        return "threadpool-[1-4]";
    }

    @Test
    void isFoundByName() {
        assertThat(Engines.discover().find("threadpool")).isInstanceOf(ThreadPoolEngine.class);
    }

    @Test
    void tenSleepsOnFourThreadsTakeThreeRounds() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withWorkers(4));
        List<Reply> answers = sentTogether(server.port(), 10, "/sleep/300");

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(maxInService(answers)).isEqualTo(4);
        assertThat(answers.stream().map(Reply::servedBy).distinct()).hasSize(4);
        // Each thread serves one connection at a time: three rounds of 300 ms at least, end to end.
        assertThat(spanMicros(answers)).isGreaterThanOrEqualTo(3 * 300_000);
        // The six that found every thread busy waited in the pool's queue, and their timing shows it.
        assertThat(answers.stream().filter(a -> a.queuedMicros() >= 150_000).count()).isGreaterThanOrEqualTo(6);
    }

    /**
     * Four free platform threads: each CPU step starts as soon as it is accepted, on its own thread, and
     * computes beside the others (the OS shares the cores among them); no lock, no turn to wait for. The
     * evidence is a rendezvous ({@link ShapeApplication}'s {@code /meet/4}): all four CPU steps in progress at
     * once, which a pool of three, or a lock, could never reach.
     */
    @Test
    void withoutTheGilFourFibsWaitForNothing() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withWorkers(4), new ShapeApplication());
        List<Reply> together = sentTogether(server.port(), 4, "/meet/4");
        assertThat(server.cpu()).isNotInstanceOf(Gil.class);
        assertThat(together).as(describe(together)).allSatisfy(a -> assertThat(a.text()).isEqualTo("met\n"));
        assertThat(together.stream().map(Reply::servedBy).distinct()).hasSize(4);
    }

    @Test
    void theWorkersOptionSetsThePoolSize() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withWorkers(2));
        List<Reply> answers = sentTogether(server.port(), 4, "/sleep/200");
        assertThat(maxInService(answers)).isEqualTo(2);
        assertThat(answers.stream().map(Reply::servedBy).distinct()).hasSize(2);
        assertThat(server.details()).contains("threads=2");
    }

    @Test
    void aThreadServesOneConnectionAtATime() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withWorkers(2));
        List<Reply> answers = sentTogether(server.port(), 6, "/sleep/100");
        Map<String, List<Reply>> byThread = answers.stream().collect(Collectors.groupingBy(Reply::servedBy));
        assertThat(byThread).hasSize(2);
        byThread.values().forEach(served -> assertThat(maxInService(served)).isEqualTo(1));
    }

    @Test
    void closeServesTheQueuedConnectionsAndEndsEveryThread() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withWorkers(2));
        Future<List<Reply>> answers = inBackground(server.port(), 5, "/sleep/400");
        awaitValue(server::openConnections, 5);
        awaitValue(server::waiting, 3);   // two in service, three queued

        server.close();

        List<Reply> served = answers.get(30, TimeUnit.SECONDS);
        assertThat(served).hasSize(5).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(served.stream().filter(a -> a.queuedMicros() >= 300_000).count()).as("the queue was served").isEqualTo(3);
        assertThat(threadsOutlivingClose("threadpool-")).isEmpty();
    }

    @Test
    void closeFreesAThreadHeldByAnIdleKeptConnectionToServeTheQueue() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withWorkers(1));
        try (RawHttp idle = RawHttp.connect(server.port())) {
            idle.send(RawHttp.request("/"));
            assertThat(idle.read().status()).isEqualTo(200);
            // The only thread now waits for this connection's next request; the next client queues.
            Future<List<Reply>> queued = inBackground(server.port(), 1, "/sleep/10");
            awaitValue(server::waiting, 1);

            server.close();

            assertThat(queued.get(30, TimeUnit.SECONDS).get(0).status()).isEqualTo(200);
            assertThat(idle.timeout(20_000).closedByServer()).as("well before the 30 s idle timeout").isTrue();
        }
        assertThat(threadsOutlivingClose("threadpool-")).isEmpty();
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
}
