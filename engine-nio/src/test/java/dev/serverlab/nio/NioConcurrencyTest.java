package dev.serverlab.nio;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.conformance.ConcurrencyShapes;
import dev.serverlab.api.conformance.RawHttp;
import dev.serverlab.api.conformance.ShapeApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.serverlab.nio.Servers.address;
import static dev.serverlab.nio.Servers.finished;
import static dev.serverlab.nio.Servers.started;
import static dev.serverlab.nio.Servers.thread;
import static org.assertj.core.api.Assertions.assertThat;

/** The shapes of the model: waits overlap on one thread, inline CPU work does not, offloaded CPU work does. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NioConcurrencyTest {

    /**
     * A thousand waits in progress at once on the one loop thread: each request's wait ends only once all
     * thousand have arrived ({@link ShapeApplication}'s {@code /gather}), which no model holding a thread per
     * wait could reach with one thread. The server's rendezvous, not the client's clock, is the evidence.
     */
    @Test
    void aThousandConnectionsWaitTogetherOnOneLoopThread() throws Exception {
        int clients = 1000;
        try (NioEngine.Server server = Servers.start(EngineConfig.ephemeral(), new ShapeApplication())) {
            List<RawHttp.Reply> replies = ConcurrencyShapes.concurrently(server.port(), clients, "/gather/" + clients);
            assertThat(replies).hasSize(clients).allSatisfy(reply -> {
                assertThat(reply.status()).isEqualTo(200);
                assertThat(reply.text()).as("all %d were waiting at once", clients).isEqualTo("gathered\n");
                assertThat(thread(reply)).as("one loop thread served every wait").isEqualTo("nio-loop-1");
            });
        }
    }

    @Test
    void inlineCpuWorkOnOneLoopIsServedOneAfterAnother() throws Exception {
        try (NioEngine.Server server = Servers.start(EngineConfig.ephemeral())) {
            List<RawHttp.Reply> replies = fireTogether(address(server), 4, "/fib/30");
            replies.sort(Comparator.comparingLong(Servers::started));
            for (int i = 0; i < replies.size(); i++) {
                assertThat(replies.get(i).text()).isEqualTo("832040\n");
                assertThat(thread(replies.get(i))).isEqualTo("nio-loop-1");
                if (i > 0) {
                    assertThat(started(replies.get(i))).as("request %d starts after request %d finished", i, i - 1)
                            .isGreaterThanOrEqualTo(finished(replies.get(i - 1)));
                }
            }
        }
    }

    @Test
    void inlineCpuWorkStallsEveryOtherConnection() throws Exception {
        // The CPU step holds the loop thread for 300 ms (a sleep stands in for computing: same effect on a loop).
        CountDownLatch computing = new CountDownLatch(1);
        Application app = Servers.helloOrCompute(computing, 300, "done\n");
        try (NioEngine.Server server = Servers.start(EngineConfig.ephemeral(), app);
             RawHttp cpu = new RawHttp(address(server), 60_000);
             RawHttp hello = new RawHttp(address(server), 60_000)) {
            hello.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(hello.read().status()).isEqualTo(200); // accepted and served: the loop knows this connection
            cpu.send("GET /work HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(computing.await(30, TimeUnit.SECONDS)).isTrue();
            hello.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Reply work = cpu.read();
            RawHttp.Reply hi = hello.read();
            assertThat(thread(work)).isEqualTo("nio-loop-1");
            assertThat(started(hi)).as("hello, sent while the loop computes, starts only when the work is done")
                    .isGreaterThanOrEqualTo(finished(work));
        }
    }

    /** CPU work that finishes only once {@code parties} of it run at the same time: overlap made certain. */
    private static Application rendezvous(int parties, CountDownLatch arrived) {
        return request -> Reply.compute(safepoint -> {
            arrived.countDown();
            try {
                boolean together = arrived.await(30, TimeUnit.SECONDS);
                return Reply.of(Response.ok(together ? "together\n" : "alone\n"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Reply.of(Response.ok("interrupted\n"));
            }
        });
    }

    @Test
    void offloadedCpuWorkOverlapsOnPoolThreads() throws Exception {
        CountDownLatch arrived = new CountDownLatch(2);
        EngineConfig config = EngineConfig.ephemeral().withOption("offload", "2");
        try (NioEngine.Server server = Servers.start(config, rendezvous(2, arrived))) {
            List<RawHttp.Reply> replies = fireTogether(address(server), 2, "/work");
            assertThat(replies).extracting(RawHttp.Reply::text).containsOnly("together\n");
            assertThat(replies).extracting(Servers::thread).containsExactlyInAnyOrder("nio-offload-1", "nio-offload-2");
            RawHttp.Reply a = replies.get(0);
            RawHttp.Reply b = replies.get(1);
            assertThat(started(a)).as("the intervals overlap").isLessThan(finished(b));
            assertThat(started(b)).as("the intervals overlap").isLessThan(finished(a));
        }
    }

    @Test
    void offloadedFibOverlapsAndGivesTheSameAnswers() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withOption("offload", "2");
        try (NioEngine.Server server = Servers.start(config)) {
            List<RawHttp.Reply> replies = fireTogether(address(server), 4, "/fib/30");
            assertThat(replies).extracting(RawHttp.Reply::text).containsOnly("832040\n");
            assertThat(replies).extracting(Servers::thread).allMatch(t -> t.startsWith("nio-offload-"));
        }
    }

    @Test
    void theLoopKeepsServingWhileWorkIsOffloaded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Application held = request -> request.path().equals("/")
                ? Reply.of(Response.ok("hello\n"))
                : Reply.compute(safepoint -> {
                    try {
                        return Reply.of(Response.ok(release.await(30, TimeUnit.SECONDS) ? "released\n" : "timed out\n"));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return Reply.of(Response.ok("interrupted\n"));
                    }
                });
        try (NioEngine.Server server = Servers.start(EngineConfig.ephemeral().withOption("offload", "1"), held);
             RawHttp cpu = new RawHttp(address(server), 60_000)) {
            cpu.send("GET /work HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Reply hello = RawHttp.get(address(server), "/");
            assertThat(hello.text()).as("answered while the pool holds the work").isEqualTo("hello\n");
            release.countDown();
            assertThat(cpu.read().text()).isEqualTo("released\n");
        }
    }

    /** {@code n} clients, each on its own connection, released at once; replies in client order. */
    static List<RawHttp.Reply> fireTogether(InetSocketAddress address, int n, String path) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<RawHttp.Reply>> futures = new ArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                futures.add(executor.submit(() -> {
                    try (RawHttp http = new RawHttp(address, 60_000)) {
                        go.await();
                        http.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
                        return http.read();
                    }
                }));
            }
            go.countDown();
        }
        List<RawHttp.Reply> replies = new ArrayList<>();
        for (Future<RawHttp.Reply> f : futures) replies.add(f.get());
        return replies;
    }
}
