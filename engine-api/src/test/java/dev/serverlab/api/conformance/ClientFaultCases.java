package dev.serverlab.api.conformance;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that misbehave without sending a wrong byte: they vanish halfway, trickle, never read, open too
 * many connections, or reset by the thousand. The server cuts each off within its limits, holds bounded
 * memory for it, and afterwards still serves, with every thread and file descriptor given back.
 */
public abstract class ClientFaultCases extends HostileInputCases {

    /**
     * What the server holds now. The engine runs in this JVM, so: this JVM's open files and threads. An
     * engine whose server lives in other processes (prefork) adds theirs.
     */
    protected ResourceProbe.Snapshot resources() {
        return new ResourceProbe.Snapshot(ResourceProbe.openFiles(), ResourceProbe.threads());
    }

    // ---- clients that vanish ------------------------------------------------------------------------

    @Test
    void aClientClosingHalfwayThroughTheHeadersLeavesTheServerServing() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("GET /fib/10 HTTP/1.1\r\nHost: t\r\nX-Half");
        }
        assertStillServing(address(), "a close halfway through the headers");
        RawHttp reset = new RawHttp(address());
        reset.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part of the body");
        reset.reset();
        assertStillServing(address(), "a reset halfway through the body");
    }

    @Test
    void aClientLeavingBeforeItsResponseLeavesTheServerServing() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("GET /sleep/200 HTTP/1.1\r\nHost: t\r\n\r\n");
        }
        RawHttp reset = new RawHttp(address());
        reset.send("GET /sleep/200 HTTP/1.1\r\nHost: t\r\n\r\n");
        reset.reset();
        assertStillServing(address(), "clients that left before their responses");
    }

    /**
     * A client half-closes once its request is sent. The shared codec answers it; a server may instead take the
     * end of input as the closure signal it is and close without an answer ({@link RfcChoices#HALF_CLOSED}),
     * but never hang and never send a part of an answer.
     */
    @Test
    void aHalfClosedClientIsAnsweredOrClosedAsChosen() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("GET /sleep/100 HTTP/1.1\r\nHost: t\r\n\r\n");
            http.shutdownOutput();
            if (expectedStatus(RfcChoices.HALF_CLOSED, 200) == NO_ANSWER) {
                assertThat(http.closedByServer()).as("closed at the end of the client's input, without an answer").isTrue();
            } else {
                assertThat(http.read().text()).isEqualTo("100\n");
            }
        }
        assertStillServing(address(), "a half-closed client");
    }

    // ---- slow clients -----------------------------------------------------------------------------------

    /**
     * One byte every quarter of the header deadline: never silent long enough for a per-read timeout, cut off
     * by the header deadline while the trickle still has most of its bytes to send: with a 408, or where the
     * engine chose so ({@link RfcChoices#SLOWLORIS}) by a close without an answer.
     */
    @Test
    void slowlorisIsCutOffByTheHeaderReadTimeout() throws Exception {
        Duration limit = SMALL_LIMITS.headerReadTimeout();
        Duration pause = limit.dividedBy(4);
        byte[] request = ("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + "a".repeat(200)).getBytes(StandardCharsets.US_ASCII);
        AtomicInteger trickled = new AtomicInteger();
        RawHttp http = new RawHttp(smallLimitsAddress());
        long start = System.nanoTime();
        Thread trickle = Thread.ofPlatform().daemon().name("kit-slowloris").start(() -> {
            try {
                for (byte b : request) {
                    http.send(new byte[] {b});
                    trickled.incrementAndGet();
                    Thread.sleep(pause);
                }
            } catch (IOException | InterruptedException e) {
                // cut off by the server, or stopped by the test
            }
        });
        try {
            if (expectedStatus(RfcChoices.SLOWLORIS, 408) == NO_ANSWER) {
                assertThat(http.closedByServer()).as("closed without an answer").isTrue();
            } else {
                assertThat(http.read().status()).as("the answer to a request whose headers never end").isEqualTo(408);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            int sent = trickled.get();
            assertThat(took).as("cut off at the header deadline, not before").isGreaterThanOrEqualTo(limit.minusMillis(50));
            // A per-read timeout would let the trickle run to its end (200 pauses) and only then time out.
            assertThat(sent).as("bytes trickled when the answer came: cut off mid-trickle").isLessThan(request.length);
            assertThat(http.closedByServer()).isTrue();
        } finally {
            http.close();
            trickle.interrupt();
            trickle.join(10_000);
        }
        assertStillServing(smallLimitsAddress(), "a slowloris client");
    }

    /**
     * A kept connection with nothing more to say is closed once idle for the idle timeout, and a connection
     * that never sends a byte too. "Not before" is judged from the server's own accept time, which precedes
     * any idle period, against the moment this side saw the close: a busy machine only makes it later.
     */
    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws IOException {
        Duration idle = SMALL_LIMITS.idleTimeout();
        try (RawHttp http = new RawHttp(smallLimitsAddress(), 15_000)) {
            http.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).isEqualTo(200);
            assertThat(http.closedByServer()).as("closed within the idle timeout and a wide margin").isTrue();
            long closeSeenMicros = Timing.nowMicros();
            assertThat(Duration.ofNanos(1000 * (closeSeenMicros - reply.acceptedMicros())))
                    .as("from accept to close: not before the idle timeout").isGreaterThanOrEqualTo(idle.dividedBy(2));
        }
        try (RawHttp silent = new RawHttp(smallLimitsAddress(), 15_000)) {
            // Connected, never a byte: nothing to answer (a 408 is allowed), then closed.
            try {
                assertThat(silent.read().status()).as("the only answer allowed to a silent connection").isEqualTo(408);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("a silent connection stayed open past the idle timeout", e);
            } catch (IOException closed) {
                // closed without an answer
            }
        }
        assertStillServing(smallLimitsAddress(), "idle connections");
    }

    /**
     * A client pipelines requests and never reads. The server's writes block, then it stops reading (the
     * client's writes block), then it closes the connection once its write has been stuck for the idle
     * timeout: what it buffered for this client stayed bounded, and no thread is held forever.
     */
    @Test
    void aPipeliningClientThatNeverReadsIsCutOffWithBoundedMemory() throws Exception {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(smallLimitsAddress(), 10_000);
        byte[] request = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Flood flood = Flood.start(socket, request, Flood.mebibytes(256))) {
            assertThat(flood.awaitEnd(Duration.ofSeconds(30))).as("the server closed the connection of a client that never reads").isTrue();
            assertThat(flood.cutOffByServer()).as("cut off by the server, not by the test's cap").isTrue();
            assertThat(flood.written()).as("request bytes accepted before the server stopped reading").isLessThan(Flood.mebibytes(64));
        }
        assertStillServing(smallLimitsAddress(), "a client that never read its responses");
    }

    // ---- too many connections -------------------------------------------------------------------------

    /**
     * The config of the {@code maxConnections} case: {@link #config()} with {@code maxConnections = 1}. An
     * engine whose workers each cap their own connections (prefork: one process per worker, each serving one
     * connection at a time) can only keep a total of 1 with one worker, and says so here by overriding it.
     */
    protected EngineConfig maxConnectionsConfig() {
        return config().withLimits(config().limits().withMaxConnections(1));
    }

    /**
     * With {@code maxConnections = 1} and one connection open, a second one is either refused (a 503, or a
     * close) or left waiting; never served alongside. Once the first closes, the server serves again. Whether
     * the second waits is only a guess from a short silence; the verdict is not: a refusal may come late, and
     * an answer to a waiting connection must have started, by the server's clock, after the first one closed.
     */
    @Test
    void beyondMaxConnectionsANewConnectionIsRefusedOrWaits() throws Exception {
        try (RunningServer own = engine().start(maxConnectionsConfig(), Application.experiment())) {
            InetSocketAddress address = loopback(own);
            RawHttp first = new RawHttp(address);
            RawHttp second = null;
            try {
                assertThat(first.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
                boolean waiting = false;
                try {
                    second = new RawHttp(address);
                    second.send("GET /fib/11 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").timeout(500);
                    assertThat(second.read().status()).as("a connection beyond maxConnections is refused, not served").isEqualTo(503);
                } catch (SocketTimeoutException e) {
                    waiting = true;
                } catch (IOException refused) {
                    // refused at connect, or closed or reset without an answer: a clean refusal too
                }
                long firstClosedMicros = Timing.nowMicros();
                first.close();
                if (waiting) {
                    second.timeout(10_000);
                    RawHttp.Reply late;
                    try {
                        late = second.read();
                    } catch (SocketTimeoutException e) {
                        throw new AssertionError("the waiting connection was neither served nor refused once the first closed", e);
                    } catch (IOException refusedLate) {
                        late = null;   // closed without an answer: a refusal that took its time
                    }
                    if (late != null && late.status() != 503) {
                        assertThat(late.text()).as("the waiting connection is served once the first closes").isEqualTo("89\n");
                        assertThat(late.startedMicros()).as("served only after the first connection closed, not alongside")
                                .isGreaterThanOrEqualTo(firstClosedMicros);
                    }
                    if (late == null || late.status() == 503) awaitServing(address, Duration.ofSeconds(10));
                } else {
                    awaitServing(address, Duration.ofSeconds(10));
                }
            } finally {
                first.close();
                if (second != null) second.close();
            }
        }
    }

    private static void awaitServing(InetSocketAddress address, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                RawHttp.Reply reply = RawHttp.get(address, "/fib/10");
                if (reply.status() == 200) return;
            } catch (IOException refusedStill) {
                // the slot is not free yet
            }
            if (System.nanoTime() - deadline > 0) throw new AssertionError("not serving again " + patience.toSeconds() + " s after the slot was freed");
            Thread.sleep(50);
        }
    }

    // ---- thousands of resets ------------------------------------------------------------------------------

    private static final int STORM_CONNECTIONS = 1000;
    /** A {@link #variant()} changes where work runs, not how connections come and go: each case still comes 40 times. */
    private static final int VARIANT_STORM_CONNECTIONS = 300;
    private static final int STORM_CLIENTS = 32;

    /**
     * 1,000 connections (300 on a variant) from 32 concurrent clients, most of them resetting mid-request or
     * mid-response. Well-behaved clients among them are all answered correctly; afterwards the server serves,
     * its file descriptors and threads are back to where they were, and closing it gives back everything it took.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)   // a serial engine takes the storm one connection at a time
    void aResetStormLeavesNoThreadOrFileBehind() throws Exception {
        assertThat(ResourceProbe.available()).as("the leak check reads /proc/<pid>/fd: the kit runs on Linux").isTrue();
        ResourceProbe.Snapshot beforeStart = resources();
        RunningServer own = startOwn(config().limits(), Application.experiment());
        try {
            InetSocketAddress address = loopback(own);
            storm(address, 200);    // warm up: pools, lazily started threads, the JIT
            assertStillServing(address, "the warm-up");
            ResourceProbe.Snapshot warm = resources();
            List<String> failures = storm(address, variant() ? VARIANT_STORM_CONNECTIONS : STORM_CONNECTIONS);
            assertThat(failures).as("well-behaved clients in the storm").isEmpty();
            assertStillServing(address, "a reset storm");
            ResourceProbe.awaitBackTo(warm, this::resources, 2, Duration.ofSeconds(15), "after the storm, still running");
        } finally {
            own.close();
        }
        ResourceProbe.awaitBackTo(beforeStart, this::resources, 0, Duration.ofSeconds(15), "after close()");
    }

    /** Runs {@code connections} client connections over {@link #STORM_CLIENTS} threads; returns what went wrong for good clients. */
    private static List<String> storm(InetSocketAddress address, int connections) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < STORM_CLIENTS; c++) {
            clients.add(Thread.ofPlatform().name("kit-storm-" + c).start(() -> {
                for (int i; (i = next.getAndIncrement()) < connections; ) {
                    try {
                        String wrong = oneConnection(address, i, new Random(i));
                        if (wrong != null) failures.add("connection " + i + ": " + wrong);
                    } catch (IOException e) {
                        if (i % 8 < 3) failures.add("connection " + i + " (well-behaved): " + e);
                    }
                }
            }));
        }
        for (Thread t : clients) {
            if (!t.join(Duration.ofSeconds(150))) failures.add(t.getName() + " did not finish within 150 s");
        }
        return failures;
    }

    /** One client connection; returns what was wrong with the answers of a well-behaved one, or null. */
    private static String oneConnection(InetSocketAddress address, int i, Random random) throws IOException {
        RawHttp http = new RawHttp(address, 30_000);
        try {
            switch (i % 8) {
                case 0, 1, 2 -> { // well-behaved: a few keep-alive requests, each checked
                    int requests = 1 + random.nextInt(3);
                    for (int r = 0; r < requests; r++) {
                        int n = random.nextInt(15);
                        http.send("GET /fib/" + n + " HTTP/1.1\r\nHost: t\r\n\r\n");
                        RawHttp.Reply reply = http.read();
                        if (reply.status() != 200 || !reply.text().equals(Expected.fibBody(n))) return "GET /fib/" + n + " -> " + reply.status() + " " + reply.text();
                    }
                    http.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
                    RawHttp.Reply echo = http.read();
                    if (!echo.text().equals("hello")) return "POST echo -> " + echo.status() + " " + echo.text();
                    http.close();
                }
                case 3 -> { // reset halfway through the headers
                    http.send("GET /fib/5 HTTP/1.1\r\nHo");
                    http.reset();
                }
                case 4 -> { // reset halfway through the body
                    http.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(300));
                    http.reset();
                }
                case 5 -> { // reset after the request, before the response
                    http.send("GET /fib/15 HTTP/1.1\r\nHost: t\r\n\r\n");
                    http.reset();
                }
                case 6 -> { // reset in the middle of a 64 KiB response
                    http.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 65536\r\n\r\n" + "y".repeat(65536));
                    http.socket().getInputStream().read(new byte[16]);
                    http.reset();
                }
                default -> { // pipelined, read one answer, then vanish (a reset or a plain close)
                    http.send("GET /fib/3 HTTP/1.1\r\nHost: t\r\n\r\n".repeat(3));
                    http.read();
                    if (random.nextBoolean()) http.reset();
                    else http.close();
                }
            }
            return null;
        } finally {
            http.close();
        }
    }
}
