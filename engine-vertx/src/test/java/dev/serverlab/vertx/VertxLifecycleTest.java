package dev.serverlab.vertx;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.ConcurrencyShapes;
import dev.serverlab.api.conformance.EventLoopLifecycleSuite;
import dev.serverlab.api.conformance.RawHttp;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kit's event-loop lifecycle on Vert.x, and what only Vert.x does: its transport and offload threads, how it
 * ends slow headers and clients past the connection limit, and its blocked-thread checker.
 */
class VertxLifecycleTest extends EventLoopLifecycleSuite {

    @Override
    protected ServerEngine engine() {
        return new VertxEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "vert.x-eventloop-thread-";
    }

    @Override
    protected String offloadThreadPrefix() {
        return "vertx-offload-";
    }

    @Test
    void detailsNameTheTransport() throws IOException {
        try (RunningServer server = engine().start(EngineConfig.ephemeral(), Application.experiment())) {
            assertThat(server.details()).matches("transport=epoll loops=\\d+ offload=off");
        }
    }

    /** Vert.x has no way to answer before a request is decoded: the header deadline closes, without a 408. */
    @Test
    void slowHeadersAreCutOffAtTheHeaderDeadline() throws IOException {
        Limits limits = Limits.DEFAULTS.withHeaderReadTimeout(Duration.ofMillis(300));
        try (RunningServer server = engine().start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             RawHttp http = RawHttp.connect(server.port())) {
            long start = System.nanoTime();
            http.send("GET / HTTP/1.1\r\nHo");
            assertThat(http.closedByServer()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not before the deadline").isGreaterThanOrEqualTo(Duration.ofMillis(250));
        }
    }

    /** Vert.x accepts every connection: one past the limit is closed at once rather than left in the backlog. */
    @Test
    @SuppressWarnings("try")   // the first client leaves on purpose, inside the block
    void pastMaxConnectionsNewClientsAreClosed() throws IOException {
        Limits limits = Limits.DEFAULTS.withMaxConnections(2);
        try (RunningServer server = engine().start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             RawHttp first = RawHttp.connect(server.port());
             RawHttp second = RawHttp.connect(server.port())) {
            assertThat(first.send(RawHttp.request("/")).read().status()).isEqualTo(200);
            assertThat(second.send(RawHttp.request("/")).read().status()).isEqualTo(200);
            try (RawHttp third = RawHttp.connect(server.port())) {
                assertThat(third.closedByServer()).isTrue();
            }
            first.close();
            // The count goes down when the server has seen the close, which the client cannot observe:
            // until then a new client is closed as the third was; then it is served.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                try (RawHttp again = RawHttp.connect(server.port())) {
                    if (again.send(RawHttp.request("/")).read().status() == 200) break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) throw e;
                }
            }
        }
    }

    @Test
    void inlineCpuWorkGetsOneBlockedThreadWarning() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "1");
        try (RunningServer server = engine().start(config, Application.experiment())) {
            ConcurrencyShapes.concurrently(server.port(), 6, "/fib/36");
            AtomicInteger slowSteps = ((VertxEngine.VertxServer) server).setup().slowSteps;
            assertThat(slowSteps.get()).as("every long step was reported: the first warned, the later ones at debug").isGreaterThan(1);
        }
    }

    @Test
    void theWarmUpNeitherWarnsNorCounts() throws IOException {
        try (RunningServer server = engine().start(EngineConfig.ephemeral().withOption("loops", "1"), Application.experiment())) {
            assertThat(((VertxEngine.VertxServer) server).setup().slowSteps.get()).isZero();
        }
    }

    @Test
    void offloadedCpuWorkLeavesTheLoopFree() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "1").withOption("offload", "2");
        try (RunningServer server = engine().start(config, Application.experiment())) {
            ConcurrencyShapes.concurrently(server.port(), 6, "/fib/36");
            assertThat(((VertxEngine.VertxServer) server).setup().slowSteps.get()).isZero();
        }
    }

    @Test
    void vertxIsToldToLogThroughSlf4j() throws IOException {
        engine().start(EngineConfig.ephemeral().withOption("loops", "1"), Application.experiment()).close();
        assertThat(System.getProperty(VertxEngine.LOGGER_PROPERTY)).isEqualTo(VertxEngine.SLF4J_FACTORY);
    }
}
