package dev.serverlab.netty;

import dev.serverlab.api.conformance.HttpContract;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.Wire;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class NettyHttpTest extends HttpContract {

    @Override
    protected ServerEngine engine() {
        return new NettyEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "netty-loop-";
    }

    @Test
    void detailsNameTheTransport() {
        assertThat(server.details()).matches("transport=(epoll|nio) loops=\\d+ offload=off");
    }

    @Test
    void epollLoadsOnThisLinuxMachine() {
        // The native library ships in the build for linux-x86_64; NIO is only the fallback elsewhere.
        assertThat(Transport.best().name()).as(Transport.best().why()).isEqualTo("epoll");
    }

    @Test
    void aThousandPipelinedRequestsGetAThousandAnswersInOrder() throws IOException {
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 1000; i++) requests.append(Wire.get(i % 100 == 50 ? "/sleep/20" : "/fib/" + i % 25));
        try (Wire wire = Wire.connect(port())) {
            // One write: the server decodes many requests per read, and a sleep among them makes the rest queue.
            wire.send(requests.toString());
            for (int i = 0; i < 1000; i++) {
                assertThat(wire.read().text()).as("answer %d", i).isEqualTo(i % 100 == 50 ? "20\n" : fib(i % 25) + "\n");
            }
        }
    }

    private static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }
}
