package dev.serverlab.nio;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.conformance.RawHttp;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shared limits, enforced by timers in the loop. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NioLimitsTest {

    private static NioEngine.Server start(Limits limits) {
        return Servers.start(EngineConfig.ephemeral().withLimits(limits));
    }

    @Test
    void headersThatTakeTooLongGet408AndAClose() throws Exception {
        try (NioEngine.Server server = start(Limits.DEFAULTS.withHeaderReadTimeout(Duration.ofMillis(300)));
             RawHttp http = new RawHttp(Servers.address(server))) {
            long start = System.nanoTime();
            http.send("GET / HTTP/1.1\r\nHo");
            RawHttp.Reply reply = http.read();
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(reply.status()).isEqualTo(408);
            assertThat(http.closedByServer()).isTrue();
            // Not before the timeout (the client's clock only grows on a busy machine); RawHttp's read timeout
            // bounds the other side, with no margin to guess.
            assertThat(elapsedMillis).isGreaterThanOrEqualTo(250L);
        }
    }

    @Test
    void aSlowBodyIsNotAHeaderTimeout() throws Exception {
        try (NioEngine.Server server = start(Limits.DEFAULTS.withHeaderReadTimeout(Duration.ofMillis(200)));
             RawHttp http = new RawHttp(Servers.address(server))) {
            http.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\npi");
            Thread.sleep(600);
            http.send("ng");
            assertThat(http.read().text()).isEqualTo("ping");
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        try (NioEngine.Server server = start(Limits.DEFAULTS.withIdleTimeout(Duration.ofMillis(300)));
             RawHttp http = new RawHttp(Servers.address(server))) {
            long start = System.nanoTime(); // before the request: the idle time counts from after its answer
            http.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(http.read().header("Connection")).isEqualTo("keep-alive");
            assertThat(http.closedByServer()).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("not before the idle timeout").isGreaterThanOrEqualTo(200L);
            assertThat(Servers.eventually(Duration.ofSeconds(5), () -> server.openConnections() == 0)).isTrue();
        }
    }

    @Test
    void atMaxConnectionsNewClientsWaitInTheBacklogUntilOneCloses() throws Exception {
        try (NioEngine.Server server = start(Limits.DEFAULTS.withMaxConnections(2));
             RawHttp a = new RawHttp(Servers.address(server));
             RawHttp b = new RawHttp(Servers.address(server));
             RawHttp c = new RawHttp(Servers.address(server), 10_000)) {
            for (RawHttp http : new RawHttp[] {a, b}) {
                http.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertThat(http.read().status()).isEqualTo(200);
            }
            // c's connect succeeded (the kernel's backlog took it), but the server does not accept it yet.
            c.send("GET /fib/10 HTTP/1.1\r\nHost: t\r\n\r\n");
            c.socket().setSoTimeout(500);
            assertThatThrownBy(c::read).isInstanceOf(SocketTimeoutException.class);
            assertThat(server.openConnections()).isEqualTo(2);
            a.close();
            c.socket().setSoTimeout(10_000);
            assertThat(c.read().text()).as("accepted once a slot was free").isEqualTo("55\n");
        }
    }

    @Test
    void aWaitPastTheRequestDeadlineGets503() throws Exception {
        Limits limits = Limits.DEFAULTS.withRequestDeadline(Duration.ofMillis(300));
        try (NioEngine.Server server = start(limits)) {
            assertThat(RawHttp.get(Servers.address(server), "/sleep/100").status()).isEqualTo(200);
            RawHttp.Reply late = RawHttp.get(Servers.address(server), "/sleep/5000");
            assertThat(late.status()).isEqualTo(503);
            // A wait that cannot end within the deadline is refused, not waited for: by the server's own
            // timestamps, from accept to answer took less than the 5 s wait would have.
            assertThat(late.micros(Timing.FINISHED) - late.micros(Timing.ACCEPTED)).isLessThan(5_000_000L);
        }
    }

    @Test
    void offloadedWorkPastTheRequestDeadlineGets503AndItsLateResultIsDropped() throws Exception {
        Application slow = request -> Reply.compute(safepoint -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Reply.of(Response.ok("late\n"));
        });
        EngineConfig config = EngineConfig.ephemeral().withOption("offload", "1")
                .withLimits(Limits.DEFAULTS.withRequestDeadline(Duration.ofMillis(300)));
        try (NioEngine.Server server = Servers.start(config, slow); RawHttp http = new RawHttp(Servers.address(server))) {
            http.send("GET /work HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).isEqualTo(503);
            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void workersIsRefusedWithAHintAtTheRightOption() {
        EngineConfig config = EngineConfig.ephemeral().withWorkers(2);
        assertThatThrownBy(() -> new NioEngine().start(config, Application.experiment()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--workers").hasMessageContaining("--loops").hasMessageContaining("--offload");
    }

    @Test
    void anApplicationThatThrowsGets500AndTheConnectionGoesOn() throws Exception {
        Application failing = request -> switch (request.path()) {
            case "/now" -> throw new IllegalStateException("boom");
            case "/later" -> Reply.sleep(Duration.ofMillis(10), () -> {
                throw new IllegalStateException("boom later");
            });
            case "/cpu" -> Reply.compute(safepoint -> {
                throw new IllegalStateException("boom on the CPU");
            });
            default -> Reply.of(Response.ok("fine\n"));
        };
        for (String offload : new String[] {null, "1"}) {
            EngineConfig config = offload == null ? EngineConfig.ephemeral() : EngineConfig.ephemeral().withOption("offload", offload);
            try (NioEngine.Server server = Servers.start(config, failing); RawHttp http = new RawHttp(Servers.address(server))) {
                for (String path : new String[] {"/now", "/later", "/cpu"}) {
                    http.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
                    RawHttp.Reply reply = http.read();
                    assertThat(reply.status()).as(path).isEqualTo(500);
                    assertThat(reply.text()).doesNotContain("boom");
                }
                http.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertThat(http.read().text()).isEqualTo("fine\n");
            }
        }
    }
}
