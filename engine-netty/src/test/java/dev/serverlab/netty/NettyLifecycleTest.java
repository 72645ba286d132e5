package dev.serverlab.netty;

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
import java.net.SocketTimeoutException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NettyLifecycleTest {

    private final NettyEngine engine = new NettyEngine();

    @Test
    void isFoundByName() {
        assertThat(Engines.discover().find("netty")).isInstanceOf(NettyEngine.class);
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

    @Test
    void slowHeadersGet408() throws IOException {
        Limits limits = Limits.DEFAULTS.withHeaderReadTimeout(Duration.ofMillis(300));
        try (RunningServer server = engine.start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             Wire wire = Wire.connect(server.port())) {
            Wire.Answer a = wire.send("GET / HTTP/1.1\r\nHo").read();
            assertThat(a.status()).isEqualTo(408);
            assertThat(wire.closedByServer()).isTrue();
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
    void workPastTheRequestDeadlineGets503() throws IOException {
        Limits limits = Limits.DEFAULTS.withRequestDeadline(Duration.ofMillis(300));
        EngineConfig config = EngineConfig.ephemeral().withLimits(limits).withOption("loops", "1").withOption("offload", "1");
        try (RunningServer server = engine.start(config, Application.experiment())) {
            // A wait that cannot end in time is refused at once, as on every engine; the connection stays usable.
            try (Wire wire = Wire.connect(server.port())) {
                assertThat(wire.send(Wire.get("/sleep/5000")).read().status()).isEqualTo(503);
                assertThat(wire.send(Wire.get("/sleep/10")).read().text()).isEqualTo("10\n");
            }
            // Offloaded work cannot be cut short: at the deadline the client gets 503 and the connection closes.
            try (Wire wire = Wire.connect(server.port())) {
                Wire.Answer a = wire.send(Wire.get("/fib/44")).read();
                assertThat(a.status()).isEqualTo(503);
                assertThat(a.header("Connection")).isEqualTo("close");
                assertThat(a.micros("X-Finished-At") - a.micros("X-Started-At")).as("answered at the deadline").isLessThan(4_000_000);
                assertThat(wire.closedByServer()).isTrue();
            }
            // The late result is dropped, and the server goes on serving.
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
    void pastMaxConnectionsClientsWaitInTheBacklog() throws IOException {
        Limits limits = Limits.DEFAULTS.withMaxConnections(2);
        try (RunningServer server = engine.start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             Wire first = Wire.connect(server.port());
             Wire second = Wire.connect(server.port())) {
            assertThat(first.send(Wire.get("/")).read().status()).isEqualTo(200);
            assertThat(second.send(Wire.get("/")).read().status()).isEqualTo(200);
            try (Wire third = Wire.connect(server.port())) {
                third.send(Wire.get("/")).timeout(700);
                assertThatThrownBy(third::read).isInstanceOf(SocketTimeoutException.class);
                first.close();
                assertThat(third.timeout(20_000).read().status()).isEqualTo(200);
            }
        }
    }
}
