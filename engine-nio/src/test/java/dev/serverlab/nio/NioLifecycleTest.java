package dev.serverlab.nio;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.conformance.EventLoopLifecycleSuite;
import dev.serverlab.api.conformance.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.serverlab.nio.Servers.thread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kit's event-loop lifecycle on nio, and what only this engine shows: which loop a connection goes to,
 * and graceful shutdown seen from inside (in-flight work finishes, idle connections close, every thread ends).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NioLifecycleTest extends EventLoopLifecycleSuite {

    @Override
    protected ServerEngine engine() {
        return new NioEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "nio-loop-";
    }

    @Override
    protected String offloadThreadPrefix() {
        return "nio-offload-";
    }

    @Override
    protected String offloadDetail(int threads) {
        return "cpu work on " + threads + " offload threads";
    }

    @Test
    void connectionsGoToTheLoopWithTheFewest() throws Exception {
        try (NioEngine.Server server = Servers.start(EngineConfig.ephemeral().withOption("loops", "2"))) {
            InetSocketAddress address = Servers.address(server);
            List<RawHttp> open = new ArrayList<>();
            List<String> loops = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    RawHttp http = new RawHttp(address);
                    open.add(http);
                    http.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                    loops.add(thread(http.read()));
                }
                assertThat(loops).containsExactly("nio-loop-1", "nio-loop-2", "nio-loop-1", "nio-loop-2");
                open.remove(2).close(); // loop 1 now has one connection, loop 2 two
                assertThat(Servers.eventually(Duration.ofSeconds(10), () -> server.openConnections() == 3)).isTrue();
                assertThat(thread(RawHttp.get(address, "/"))).isEqualTo("nio-loop-1");
            } finally {
                for (RawHttp http : open) http.close();
            }
            assertThat(server.details()).contains("loops=2");
        }
    }

    @Test
    void closeFinishesOffloadedWorkAndClosesIdleConnections() throws Exception {
        CountDownLatch computing = new CountDownLatch(1);
        Application app = Servers.helloOrCompute(computing, 500, "computed\n");
        // A drain timeout far past the test's own: a close that waited for it instead of the work would time out.
        Limits limits = Limits.DEFAULTS.withDrainTimeout(Duration.ofMinutes(10));
        NioEngine.Server server = Servers.start(EngineConfig.ephemeral().withLimits(limits).withOption("offload", "1"), app);
        InetSocketAddress address = Servers.address(server);
        try (RawHttp busy = new RawHttp(address); RawHttp idle = new RawHttp(address)) {
            idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(idle.read().status()).isEqualTo(200);
            busy.send("GET /work HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(computing.await(30, TimeUnit.SECONDS)).as("the work is in flight when shutdown begins").isTrue();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertThat(idle.closedByServer()).as("the idle keep-alive connection is closed").isTrue();
            RawHttp.Reply reply = busy.read();
            assertThat(reply.text()).as("the offloaded work is answered").isEqualTo("computed\n");
            assertThat(reply.header("Connection")).isEqualTo("close");
            closing.get(60, TimeUnit.SECONDS);   // ended by the work, not by the drain timeout
        } finally {
            server.close();
        }
        assertThat(server.released()).as("loop and pool threads have ended").isTrue();
        assertNotListening(address);
    }

    @Test
    void whatIsStillBusyAtTheDrainTimeoutIsClosed() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withLimits(Limits.DEFAULTS.withDrainTimeout(Duration.ofMillis(300)));
        CountDownLatch dispatched = new CountDownLatch(1);
        NioEngine.Server server = Servers.start(config, request -> {
            dispatched.countDown();
            return Reply.sleep(Duration.ofSeconds(20), () -> Reply.of(Response.ok("too late\n")));
        });
        InetSocketAddress address = Servers.address(server);
        try (RawHttp http = new RawHttp(address)) {
            http.send("GET /sleep/20000 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(dispatched.await(30, TimeUnit.SECONDS)).isTrue();
            server.close();
            // A close that waited for the 20 s sleep would have let its "too late" answer through.
            assertThatThrownBy(http::read).as("closed at the drain timeout, unanswered")
                    .isInstanceOf(IOException.class).isNotInstanceOf(SocketTimeoutException.class);
        } finally {
            server.close();
        }
        assertThat(server.released()).isTrue();
        assertNotListening(address);
    }

    @Test
    void closeIsIdempotentAndReleasesEveryLoop() throws Exception {
        NioEngine.Server server = Servers.start(EngineConfig.ephemeral().withOption("loops", "3").withOption("offload", "2"));
        InetSocketAddress address = Servers.address(server);
        assertThat(RawHttp.get(address, "/fib/15").text()).isEqualTo("610\n");
        server.close();
        server.close();
        assertThat(server.released()).isTrue();
        assertNotListening(address);
    }

    private static void assertNotListening(InetSocketAddress address) {
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(address, 2000);
            }
        }).isInstanceOf(ConnectException.class);
    }
}
