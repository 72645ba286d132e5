package dev.serverlab.api.conformance;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.Listener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every event-loop engine with {@code --loops} and {@code --offload} does over its life: how it is found
 * and configured, how it reports a taken port, how its loops share one port, how it stops, and how the
 * request deadline reaches work that left the loop. One suite for netty, vertx and nio; the limits and the
 * protocol are {@link ConformanceSuite}'s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class EventLoopLifecycleSuite {

    protected abstract ServerEngine engine();

    /** The prefix of its loop threads' names, such as {@code netty-loop-}. */
    protected abstract String loopThreadPrefix();

    /** The prefix of its offload pool's thread names, such as {@code netty-offload-}. */
    protected abstract String offloadThreadPrefix();

    /** How the engine's details name an offload pool of {@code threads} threads. */
    protected String offloadDetail(int threads) {
        return "offload=" + threads;
    }

    @Test
    void offloadedCpuWorkIsServedByAPoolThread() throws IOException {
        EngineConfig config = EngineConfig.ephemeral().withOption("offload", "2").withOption("loops", "1");
        try (RunningServer server = engine().start(config, Application.experiment());
             RawHttp http = RawHttp.connect(server.port())) {
            RawHttp.Reply reply = http.send(RawHttp.request("/fib/25")).read();
            assertThat(reply.text()).isEqualTo("75025\n");
            assertThat(reply.servedBy()).startsWith(ProcessHandle.current().pid() + "/" + offloadThreadPrefix());
        }
    }

    @Test
    void isFoundByNameWithItsOptions() {
        assertThat(Engines.discover().find(engine().name())).isInstanceOf(engine().getClass());
        assertThat(engine().options()).extracting(EngineOption::name).contains("loops", "offload");
    }

    @Test
    void refusesOptionsItDoesNotTake() {
        assertThatThrownBy(() -> engine().start(EngineConfig.ephemeral().withWorkers(4), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--workers").hasMessageContaining("--loops");
        assertThatThrownBy(() -> engine().start(EngineConfig.ephemeral().withOption("gil", "true"), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--gil");
        assertThatThrownBy(() -> engine().start(EngineConfig.ephemeral().withOption("loops", "0"), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--loops");
    }

    @Test
    void aTakenPortIsReportedPlainly() throws IOException {
        try (RunningServer first = engine().start(EngineConfig.ephemeral(), Application.experiment())) {
            EngineConfig same = EngineConfig.ephemeral().withPort(first.port());
            assertThatThrownBy(() -> engine().start(same, Application.experiment()))
                    .isInstanceOf(Listener.PortInUseException.class)
                    .hasMessageContaining("--port");
        }
    }

    @Test
    void loopsAndOffloadShowInTheDetails() throws IOException {
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "3").withOption("offload", "2");
        try (RunningServer server = engine().start(config, Application.experiment())) {
            assertThat(server.details()).contains("loops=3").contains(offloadDetail(2));
        }
    }

    /** Connections are spread over the loops: with two loops, a few connections reach both. */
    @Test
    void theLoopsShareOnePortAndEachServesConnections() throws Exception {
        try (RunningServer server = engine().start(EngineConfig.ephemeral().withOption("loops", "2"), Application.experiment())) {
            Set<String> loops = new HashSet<>();
            for (RawHttp.Reply reply : ConcurrencyShapes.concurrently(server.port(), 8, "/")) {
                String servedBy = reply.header("X-Served-By");
                assertThat(servedBy).contains("/" + loopThreadPrefix());
                loops.add(servedBy);
            }
            assertThat(loops).as("distinct loops that served 8 connections").hasSize(2);
        }
    }

    @Test
    void closeEndsAnIdleConnectionAndIsIdempotent() throws IOException {
        RunningServer server = engine().start(EngineConfig.ephemeral(), Application.experiment());
        try (RawHttp idle = RawHttp.connect(server.port())) {
            assertThat(idle.send(RawHttp.request("/")).read().status()).isEqualTo(200);
            server.close();
            assertThat(idle.closedByServer()).as("the idle keep-alive connection was closed").isTrue();
            server.close();
        }
    }

    /** A wait that cannot end within the request deadline is refused at once, as on every engine; the connection stays usable. */
    @Test
    void aWaitPastTheRequestDeadlineGets503AtOnce() throws IOException {
        Limits limits = Limits.DEFAULTS.withRequestDeadline(Duration.ofMillis(300));
        try (RunningServer server = engine().start(EngineConfig.ephemeral().withLimits(limits).withOption("loops", "1"), Application.experiment());
             RawHttp http = RawHttp.connect(server.port())) {
            assertThat(http.send(RawHttp.request("/sleep/5000")).read().status()).as("/sleep/5000").isEqualTo(503);
            assertThat(http.send(RawHttp.request("/sleep/10")).read().text()).as("the same connection, after").isEqualTo("10\n");
        }
    }

    /**
     * Offloaded CPU work cannot be cut short: at the deadline the client gets a 503 and the connection closes
     * (a 200 means the deadline never reached the pool); the late result is dropped and the server goes on.
     */
    @Test
    void offloadedWorkPastTheRequestDeadlineGets503AndTheConnectionCloses() throws IOException {
        Limits limits = Limits.DEFAULTS.withRequestDeadline(Duration.ofMillis(300));
        EngineConfig config = EngineConfig.ephemeral().withLimits(limits).withOption("loops", "1").withOption("offload", "1");
        try (RunningServer server = engine().start(config, Application.experiment())) {
            try (RawHttp http = RawHttp.connect(server.port())) {
                RawHttp.Reply reply = http.send(RawHttp.request("/fib/42")).read();
                assertThat(reply.status()).as("/fib/42").isEqualTo(503);
                assertThat(reply.header("Connection")).isEqualToIgnoringCase("close");
                assertThat(http.closedByServer()).isTrue();
            }
            try (RawHttp http = RawHttp.connect(server.port())) {
                assertThat(http.send(RawHttp.request("/sleep/10")).read().text()).isEqualTo("10\n");
            }
        }
    }

    /** A wait is the server's, not the client's idleness: it may outlast the idle timeout. */
    @Test
    void aWaitLongerThanTheIdleTimeoutIsNotCutShort() throws IOException {
        Limits limits = Limits.DEFAULTS.withIdleTimeout(Duration.ofMillis(200));
        try (RunningServer server = engine().start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             RawHttp http = RawHttp.connect(server.port())) {
            assertThat(http.send(RawHttp.request("/sleep/600")).read().text()).isEqualTo("600\n");
        }
    }
}
