package dev.serverlab.api.conformance;

import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * How a server stops: {@code close()} answers what it had received, closes idle connections at once, stops
 * listening, and past the drain timeout cuts off what is still busy and gives back every thread and socket.
 * Each test starts a server of its own, since it stops it.
 */
public abstract class ShutdownCases extends ClientFaultCases {

    // ---- shutdown -----------------------------------------------------------------------------------

    /**
     * A quick request with a slow one pipelined behind it. Once the quick one is answered, the slow one has
     * reached the server (it was sent first, on the same connection): it was received, so close() must
     * answer it. This works whatever process the server runs in, with no guess at timing.
     */
    private static String quickThen(String slowPath) {
        return "GET /fib/1 HTTP/1.1\r\nHost: t\r\n\r\nGET " + slowPath + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }

    @Test
    void closeFinishesAnInFlightRequestThenStopsListening() throws Exception {
        RunningServer own = startOwn(config().limits(), Application.experiment());
        InetSocketAddress ownAddress = loopback(own);
        try (RawHttp http = new RawHttp(ownAddress)) {
            http.send(quickThen("/sleep/400"));
            assertThat(http.read().text()).as("the quick request").isEqualTo("1\n");
            Thread closing = Thread.ofPlatform().name("kit-closer").start(own::close);
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).as("the received request is answered").isEqualTo(200);
            assertThat(reply.text()).isEqualTo("400\n");
            // Usually close() began during the 400 ms, and the answer says "Connection: close". On a busy machine
            // the closing thread may start after the answer went out as keep-alive: then close() closes the
            // connection as an idle one. Either way the connection ends, and no answer was cut off.
            assertThat(http.closedByServer()).as("and the connection ends with it").isTrue();
            assertThat(closing.join(Duration.ofSeconds(30))).as("close() returned").isTrue();
        } finally {
            own.close();
        }
        own.close(); // idempotent
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(ownAddress, 2000);
            }
        }).as("no longer listening").isInstanceOf(ConnectException.class);
    }

    /** Connections in {@link #closeAnswersEveryRequestItHadReceived}'s burst. */
    protected int shutdownBurst() {
        return 6;
    }

    /**
     * A burst of connections on a fresh server, some with a request in flight when close() begins: each of
     * those is answered. (A connection still in the kernel's backlog was never accepted, and may be reset.)
     */
    @Test
    void closeAnswersEveryRequestItHadReceived() throws Exception {
        RunningServer own = startOwn(config().limits(), Application.experiment());
        int burst = shutdownBurst();
        long[] quickAnsweredAt = new long[burst];
        Object[] outcomes = new Object[burst];
        CountDownLatch firstAnswer = new CountDownLatch(1);
        List<Thread> clients = new ArrayList<>();
        long closeBegan;
        try {
            for (int i = 0; i < burst; i++) {
                RawHttp http = new RawHttp(loopback(own), 15_000).send(quickThen("/sleep/300"));
                int id = i;
                clients.add(Thread.ofPlatform().name("kit-burst-" + i).start(() -> {
                    try (http) {
                        http.read();
                        quickAnsweredAt[id] = System.nanoTime();
                        firstAnswer.countDown();
                        outcomes[id] = http.read();
                    } catch (IOException e) {
                        outcomes[id] = e;
                    }
                }));
            }
            assertThat(firstAnswer.await(15, TimeUnit.SECONDS)).as("a request in flight").isTrue();
            closeBegan = System.nanoTime();
            own.close();
            for (Thread client : clients) assertThat(client.join(Duration.ofSeconds(15))).as(client.getName() + " finished").isTrue();
        } finally {
            own.close();
        }
        int inFlight = 0;
        for (int i = 0; i < burst; i++) {
            if (quickAnsweredAt[i] != 0 && quickAnsweredAt[i] - closeBegan < 0) {
                inFlight++;
                assertThat(outcomes[i]).as("connection " + i + " had its slow request in flight, so it is answered")
                        .isInstanceOfSatisfying(RawHttp.Reply.class, r -> assertThat(r.text()).isEqualTo("300\n"));
            }
            if (outcomes[i] instanceof RawHttp.Reply reply) assertThat(reply.status()).as("any answer is the real one").isEqualTo(200);
        }
        assertThat(inFlight).as("requests in flight when close() began").isPositive();
    }

    @Test
    void closeClosesIdleKeepAliveConnectionsAtOnce() throws Exception {
        // A drain timeout far past the test's own timeout: a close() that an idle connection held until the
        // drain timeout would fail the test, with no clock read on this side.
        RunningServer own = startOwn(config().limits().withDrainTimeout(Duration.ofMinutes(10)), Application.experiment());
        try (RawHttp http = new RawHttp(loopback(own), 15_000)) {
            assertThat(http.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
            own.close();
            assertThat(http.closedByServer()).as("the idle connection is closed").isTrue();
        } finally {
            own.close();
        }
    }

    /** Work still running at the drain timeout is cut off, and close() still releases every thread and socket. */
    @Test
    void closeForcesWhatIsStillBusyAfterTheDrainTimeoutAndReleasesEverything() throws Exception {
        ResourceProbe.Snapshot before = resources();
        Limits limits = config().limits().withDrainTimeout(Duration.ofSeconds(1));
        RunningServer own = startOwn(limits, Application.experiment());
        try (RawHttp http = new RawHttp(loopback(own), 15_000)) {
            http.send(quickThen("/sleep/20000"));
            assertThat(http.read().text()).as("the quick request").isEqualTo("1\n");
            own.close();
            // A close() that waited for the 20 s sleep would have let its answer through; a connection left open
            // unanswered would end in a read timeout. Only a close at the drain timeout gives end of stream.
            assertThatThrownBy(http::read).as("the request cut off has no answer")
                    .isInstanceOf(IOException.class).isNotInstanceOf(SocketTimeoutException.class);
        } finally {
            own.close();
        }
        if (ResourceProbe.available()) {
            ResourceProbe.awaitBackTo(before, this::resources, 0, Duration.ofSeconds(15), "after a forced close()");
        }
    }
}
