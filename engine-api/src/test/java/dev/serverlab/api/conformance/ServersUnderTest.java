package dev.serverlab.api.conformance;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The servers the conformance kit talks to: the engine under test with the default {@link Limits}, and a
 * second one with {@link #SMALL_LIMITS}, so that the limit and timeout cases run in bytes and seconds
 * rather than megabytes and minutes. Both run for the whole class; tests that stop a server start their own.
 *
 * <p>The kit is split by concern over a chain of abstract classes, each in its own file:
 * <pre>
 *   ServersUnderTest ◄── HostileInputCases ◄── ClientFaultCases ◄── ShutdownCases ◄── ConformanceSuite ◄── your engine's test
 *   (the servers)        (bad bytes, limits)   (slow, vanishing,     (close(), drain)   (routes, keep-alive,
 *                                                resetting clients)                       pipelining)
 * </pre>
 * An engine extends {@link ConformanceSuite} and runs all of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ServersUnderTest {

    /**
     * The second server's limits: small sizes, and timeouts of half a second to a second, so that the cases
     * that wait for a timeout take that long and no longer. Every other limit keeps its default. Tests derive
     * their byte counts and waits from these values. (A header timeout much shorter would let a client thread
     * that the machine's load stalls between connecting and writing its request be cut off.)
     */
    public static final Limits SMALL_LIMITS = Limits.DEFAULTS
            .withMaxRequestLineBytes(256)
            .withMaxHeaderBytes(512)
            .withMaxHeaderCount(8)
            .withMaxBodyBytes(1024)
            .withHeaderReadTimeout(Duration.ofMillis(500))
            .withIdleTimeout(Duration.ofSeconds(1))
            .withRequestDeadline(Duration.ofSeconds(1))
            .withDrainTimeout(Duration.ofSeconds(2));

    protected abstract ServerEngine engine();

    /**
     * True for a class that runs the kit on a variant of an engine whose codec another class already covers
     * (a GIL, an offload pool, another Netty transport): such options never reach the parser, so the long
     * lists of byte-level cases run once per codec and a variant runs a small smoke subset of them.
     */
    protected boolean variant() {
        return false;
    }

    /** The config the suite's server runs with: loopback, an ephemeral port. */
    protected EngineConfig config() {
        return EngineConfig.ephemeral();
    }

    /** The config of the second server: {@link #config()} with {@link #SMALL_LIMITS}. */
    protected EngineConfig smallLimitsConfig() {
        return config().withLimits(SMALL_LIMITS);
    }

    private RunningServer server;
    private RunningServer smallServer;
    private InetSocketAddress address;
    private InetSocketAddress smallAddress;

    @BeforeAll
    void startServer() throws IOException {
        server = engine().start(config(), Application.experiment());
        address = loopback(server);
        smallServer = engine().start(smallLimitsConfig(), Application.experiment());
        smallAddress = loopback(smallServer);
    }

    @AfterAll
    void stopServer() {
        if (server != null) server.close();
        if (smallServer != null) smallServer.close();
    }

    /** The server with default limits, as the engine started it. */
    protected RunningServer defaultServer() {
        return server;
    }

    /** The server with default limits. */
    protected InetSocketAddress address() {
        return address;
    }

    /** The server with {@link #SMALL_LIMITS}. */
    protected InetSocketAddress smallLimitsAddress() {
        return smallAddress;
    }

    /** A server of this engine with other limits, for a test that stops it; the caller closes it. */
    protected RunningServer startOwn(Limits limits, Application application) throws IOException {
        return engine().start(config().withLimits(limits), application);
    }

    protected static InetSocketAddress loopback(RunningServer server) {
        return new InetSocketAddress("127.0.0.1", server.port());
    }

    /** The server at {@code address} answers a good request correctly: it survived whatever came before. */
    protected static void assertStillServing(InetSocketAddress address, String after) throws IOException {
        RawHttp.Reply reply = RawHttp.get(address, "/fib/10");
        assertThat(reply.status()).as("still serving after: " + after).isEqualTo(200);
        assertThat(reply.text()).as("still serving after: " + after).isEqualTo("55\n");
    }
}
