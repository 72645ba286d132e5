package dev.serverlab.api.conformance;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shapes an event-loop engine must show, over real sockets, judged by rendezvous inside the server
 * ({@link ShapeApplication}) rather than by the clock: a busy machine makes them slower, never different.
 */
public abstract class ConcurrencyShapes {

    protected abstract ServerEngine engine();

    /** The prefix of the threads that run inline CPU work, such as {@code netty-loop-}. */
    protected abstract String loopThreadPrefix();

    /** A thousand waits are in progress at once on a few loops: a wait holds no thread. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aThousandConcurrentSleepsWaitTogether() throws Exception {
        try (RunningServer server = engine().start(EngineConfig.ephemeral(), new ShapeApplication())) {
            List<RawHttp.Reply> answers = concurrently(server.port(), 1000, "/gather/1000");
            assertThat(answers).hasSize(1000).allSatisfy(a -> assertThat(a.text()).isEqualTo("gathered\n"));
        }
    }

    /** On one loop, CPU work inline runs one request at a time: no CPU step ever finds a partner. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void inlineCpuWorkOnOneLoopIsServedOneAtATime() throws Exception {
        ShapeApplication app = new ShapeApplication();
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "1");
        try (RunningServer server = engine().start(config, app)) {
            List<RawHttp.Reply> answers = concurrently(server.port(), 4, "/pair/300");
            assertThat(answers).allSatisfy(a -> {
                assertThat(a.text()).as("a CPU step on the loop never meets another").isEqualTo("alone\n");
                assertThat(a.header("X-Served-By")).contains("/" + loopThreadPrefix());
            });
            assertThat(answers.stream().map(a -> a.header("X-Served-By")).distinct()).as("one loop served all").hasSize(1);
            assertThat(app.peakInCpu()).as("CPU steps in progress at once").isEqualTo(1);
        }
    }

    /** With --offload 2, CPU work leaves the loop: two CPU steps run side by side, off the loop. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void offloadedCpuWorkOverlaps() throws Exception {
        ShapeApplication app = new ShapeApplication();
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "1").withOption("offload", "2");
        try (RunningServer server = engine().start(config, app)) {
            List<RawHttp.Reply> answers = concurrently(server.port(), 4, "/pair/30000");
            assertThat(answers).allSatisfy(a -> {
                assertThat(a.text()).as("offloaded CPU steps meet in pairs").isEqualTo("paired\n");
                assertThat(a.header("X-Served-By")).doesNotContain("/" + loopThreadPrefix());
            });
            assertThat(app.peakInCpu()).as("CPU steps in progress at once, on a pool of two").isEqualTo(2);
        }
    }

    /**
     * One client pipelines a thousand requests in one write: the loop decodes many per read, and a wait among
     * them makes the rest queue behind it; every answer still comes, in order.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aThousandPipelinedRequestsGetAThousandAnswersInOrder() throws Exception {
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 1000; i++) requests.append(RawHttp.request(i % 100 == 50 ? "/sleep/20" : "/fib/" + i % 25));
        try (RunningServer server = engine().start(EngineConfig.ephemeral(), new ShapeApplication());
             RawHttp http = RawHttp.connect(server.port())) {
            http.send(requests.toString());
            for (int i = 0; i < 1000; i++) {
                assertThat(http.read().text()).as("answer %d", i).isEqualTo(i % 100 == 50 ? "20\n" : Expected.fibBody(i % 25));
            }
        }
    }

    /** {@code n} clients, each on its own connection, released together; their answers in client order. */
    public static List<RawHttp.Reply> concurrently(int port, int n, String path) throws Exception {
        CountDownLatch connected = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<RawHttp.Reply>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(clients.submit(() -> {
                    try (RawHttp http = RawHttp.connect(port)) {
                        http.timeout(90_000);
                        connected.countDown();
                        go.await();
                        return http.send(RawHttp.request(path)).read();
                    }
                }));
            }
            assertThat(connected.await(60, TimeUnit.SECONDS)).as("all clients connected").isTrue();
            go.countDown();
            List<RawHttp.Reply> answers = new ArrayList<>();
            for (Future<RawHttp.Reply> f : futures) answers.add(f.get(100, TimeUnit.SECONDS));
            return answers;
        }
    }
}
