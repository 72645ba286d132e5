package dev.serverlab.vertx;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.RawHttp;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pipelining for a client that reads late. (A close right after start is the kit's
 * {@code closeAnswersEveryRequestItHadReceived}, with a wider burst for Vert.x: see VertxConformanceTest.)
 */
class VertxPipeliningTest {

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
