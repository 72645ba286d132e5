package dev.serverlab.vertx;

import dev.serverlab.api.conformance.ConcurrencyShapes;
import dev.serverlab.api.conformance.Wire;
import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.Listener;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VertxLifecycleTest {

    private final VertxEngine engine = new VertxEngine();

    @Test
    void isFoundByName() {
        assertThat(Engines.discover().find("vertx")).isInstanceOf(VertxEngine.class);
        assertThat(engine.options()).extracting(o -> o.name()).containsExactly("loops", "offload");
    }

    @Test
    void refusesOptionsItDoesNotTake() {
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withWorkers(4), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--workers").hasMessageContaining("--loops");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withOption("gil", "true"), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--gil");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withOption("loops", "0"), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--loops");
    }

    @Test
    void aTakenPortIsReportedPlainly() throws IOException {
        try (RunningServer first = engine.start(EngineConfig.ephemeral(), Application.experiment())) {
            EngineConfig same = EngineConfig.ephemeral().withPort(first.port());
            assertThatThrownBy(() -> engine.start(same, Application.experiment()))
                    .isInstanceOf(Listener.PortInUseException.class)
                    .hasMessageContaining("--port");
        }
    }

    @Test
    void loopsAndOffloadShowInTheDetails() throws IOException {
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "3").withOption("offload", "2");
        try (RunningServer server = engine.start(config, Application.experiment())) {
            assertThat(server.details()).endsWith("loops=3 offload=2");
        }
    }

    @Test
    void closeIsPromptWithAnIdleConnectionAndIdempotent() throws IOException {
        RunningServer server = engine.start(EngineConfig.ephemeral(), Application.experiment());
        try (Wire idle = Wire.connect(server.port())) {
            assertThat(idle.send(Wire.get("/")).read().status()).isEqualTo(200);
            long start = System.nanoTime();
            server.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(idle.closedByServer()).isTrue();
            server.close();
        }
    }

    /** Vert.x has no way to answer before a request is decoded: the header deadline closes, without a 408. */
    @Test
    void slowHeadersAreCutOffAtTheHeaderDeadline() throws IOException {
        Limits limits = Limits.DEFAULTS.withHeaderReadTimeout(Duration.ofMillis(300));
        try (RunningServer server = engine.start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             Wire wire = Wire.connect(server.port())) {
            long start = System.nanoTime();
            wire.send("GET / HTTP/1.1\r\nHo");
            assertThat(wire.closedByServer()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        }
    }

    @Test
    void idleConnectionsAreClosed() throws IOException {
        Limits limits = Limits.DEFAULTS.withIdleTimeout(Duration.ofMillis(300));
        try (RunningServer server = engine.start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             Wire wire = Wire.connect(server.port())) {
            assertThat(wire.send(Wire.get("/")).read().status()).isEqualTo(200);
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void aWaitPastTheRequestDeadlineGets503AtOnce() throws IOException {
        Limits limits = Limits.DEFAULTS.withRequestDeadline(Duration.ofMillis(300));
        EngineConfig config = EngineConfig.ephemeral().withLimits(limits).withOption("loops", "1");
        try (RunningServer server = engine.start(config, Application.experiment())) {
            // Refused, not waited for: a wait that had run would have ended in a 200.
            assertThat(Wire.exchange(server.port(), Wire.get("/sleep/5000")).status()).isEqualTo(503);
            assertThat(Wire.exchange(server.port(), Wire.get("/sleep/10")).text()).isEqualTo("10\n");
        }
    }

    @Test
    void aWaitLongerThanTheIdleTimeoutIsNotCutShort() throws IOException {
        Limits limits = Limits.DEFAULTS.withIdleTimeout(Duration.ofMillis(200));
        try (RunningServer server = engine.start(EngineConfig.ephemeral().withLimits(limits), Application.experiment())) {
            assertThat(Wire.exchange(server.port(), Wire.get("/sleep/600")).text()).isEqualTo("600\n");
        }
    }

    @Test
    @SuppressWarnings("try")   // the first client leaves on purpose, inside the block
    void pastMaxConnectionsNewClientsAreClosed() throws IOException {
        Limits limits = Limits.DEFAULTS.withMaxConnections(2);
        try (RunningServer server = engine.start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             Wire first = Wire.connect(server.port());
             Wire second = Wire.connect(server.port())) {
            assertThat(first.send(Wire.get("/")).read().status()).isEqualTo(200);
            assertThat(second.send(Wire.get("/")).read().status()).isEqualTo(200);
            try (Wire third = Wire.connect(server.port())) {
                assertThat(third.closedByServer()).isTrue();
            }
            first.close();
            // The count goes down when a connection closes; a new client is served again.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                try (Wire again = Wire.connect(server.port())) {
                    if (again.send(Wire.get("/")).read().status() == 200) break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) throw e;
                }
            }
        }
    }

    @Test
    void theInstancesShareOnePortAndEachServesConnections() throws Exception {
        try (RunningServer server = engine.start(EngineConfig.ephemeral().withOption("loops", "2"), Application.experiment())) {
            Set<String> loops = new HashSet<>();
            for (int i = 0; i < 20 && loops.size() < 2; i++) {
                loops.add(Wire.exchange(server.port(), Wire.get("/")).header("X-Served-By").replaceAll("^\\d+/", ""));
            }
            assertThat(loops).containsExactlyInAnyOrder("vert.x-eventloop-thread-0", "vert.x-eventloop-thread-1");
        }
    }

    @Test
    void inlineCpuWorkGetsOneBlockedThreadWarning() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "1");
        try (RunningServer server = engine.start(config, Application.experiment())) {
            ConcurrencyShapes.concurrently(server.port(), 6, "/fib/36");
            BlockedLoopWarning warning = ((VertxServer) server).setup().warning;
            assertThat(warning.reports.get()).as("every long step was reported: the first warned, the later ones at debug").isGreaterThan(1);
        }
    }

    @Test
    void theWarmUpNeitherWarnsNorCounts() throws IOException {
        try (RunningServer server = engine.start(EngineConfig.ephemeral().withOption("loops", "1"), Application.experiment())) {
            assertThat(((VertxServer) server).setup().warning.reports.get()).isZero();
        }
    }

    @Test
    void offloadedCpuWorkLeavesTheLoopFree() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "1").withOption("offload", "2");
        try (RunningServer server = engine.start(config, Application.experiment())) {
            ConcurrencyShapes.concurrently(server.port(), 6, "/fib/36");
            assertThat(((VertxServer) server).setup().warning.reports.get()).isZero();
        }
    }

    @Test
    void vertxIsToldToLogThroughSlf4j() throws IOException {
        engine.start(EngineConfig.ephemeral().withOption("loops", "1"), Application.experiment()).close();
        assertThat(System.getProperty(VertxEngine.LOGGER_PROPERTY)).isEqualTo(VertxEngine.SLF4J_FACTORY);
    }
}
