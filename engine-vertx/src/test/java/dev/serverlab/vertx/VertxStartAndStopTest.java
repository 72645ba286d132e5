package dev.serverlab.vertx;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.RawHttp;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Start-up and shutdown at any moment, and pipelining for a client that reads late. */
class VertxStartAndStopTest {

    private static final String QUICK_THEN_SLOW =
            "GET /fib/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /sleep/300 HTTP/1.1\r\nHost: t\r\n\r\n";

    /**
     * close() as soon as the fresh server has requests: every request it had received is answered. A slow
     * request pipelined behind a quick one was received once the quick one is answered.
     */
    @Test
    void closeRightAfterStartAnswersEveryReceivedRequest() throws Exception {
        RunningServer server = new VertxEngine().start(EngineConfig.ephemeral(), Application.experiment());
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        int clients = 20;
        Object[] outcomes = new Object[clients];
        long[] quickAt = new long[clients];
        CountDownLatch firstQuick = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long closeBegan;
        try {
            for (int i = 0; i < clients; i++) {
                int id = i;
                threads.add(Thread.ofPlatform().name("client-" + i).start(() -> {
                    try (RawHttp http = new RawHttp(address, 15_000)) {
                        http.send(QUICK_THEN_SLOW).read();
                        quickAt[id] = System.nanoTime();
                        firstQuick.countDown();
                        outcomes[id] = http.read();
                    } catch (IOException e) {
                        outcomes[id] = e;
                    }
                }));
            }
            assertThat(firstQuick.await(15, TimeUnit.SECONDS)).isTrue();
            closeBegan = System.nanoTime();
            server.close();
            for (Thread t : threads) assertThat(t.join(Duration.ofSeconds(15))).as(t.getName()).isTrue();
        } finally {
            server.close();
        }
        int inFlight = 0;
        for (int i = 0; i < clients; i++) {
            if (quickAt[i] != 0 && quickAt[i] - closeBegan < 0) {
                inFlight++;
                assertThat(outcomes[i]).as("client %d had a request in flight", i)
                        .isInstanceOfSatisfying(RawHttp.Reply.class, r -> assertThat(r.text()).isEqualTo("300\n"));
            }
            if (outcomes[i] instanceof RawHttp.Reply r) assertThat(r.status()).isEqualTo(200);
        }
        assertThat(inFlight).isPositive();
    }

    /** 1,000 pipelined requests, read only once all are sent and the server's writes have stalled: all answered, in order. */
    @Test
    void aThousandPipelinedRequestsReadLateAreAnsweredInOrder() throws Exception {
        try (RunningServer server = new VertxEngine().start(EngineConfig.ephemeral().withOption("loops", "1"), Application.experiment());
             RawHttp http = new RawHttp(new InetSocketAddress("127.0.0.1", server.port()), 15_000)) {
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < 1000; i++) requests.append("GET /fib/").append(i % 20).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
            http.send(requests.toString());
            Thread.sleep(300);   // well past the ~30 ms after which the old engine closed such a client
            List<RawHttp.Reply> replies = http.read(1000);
            for (int i = 0; i < 1000; i++) assertThat(replies.get(i).text()).as("answer %d", i).isEqualTo(fib(i % 20) + "\n");
        }
    }

    private static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }
}
