package dev.serverlab.api.conformance;

import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract every engine keeps, run against a real server on loopback. An engine module runs it with
 * one class:
 *
 * <pre>{@code
 * class NioConformanceTest extends ConformanceSuite {
 *     @Override protected ServerEngine engine() { return new NioEngine(); }
 * }
 * }</pre>
 *
 * Override {@link #config()} to run it on a variant (an option, a worker count). This class holds the
 * routes, keep-alive, pipelining and shutdown; it inherits the hostile input ({@link HostileInputCases}:
 * one shared list of malformed requests, the limits to the byte) and the misbehaving clients
 * ({@link ClientFaultCases}: vanishing, slow, non-reading, too many, resetting) from the classes it extends.
 */
public abstract class ConformanceSuite extends ClientFaultCases {

    // ---- routes -------------------------------------------------------------------------------------

    @Test
    void getRootAnswersHelloWithStandardHeaders() throws IOException {
        RawHttp.Reply reply = RawHttp.get(address(), "/");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.version()).isEqualTo("HTTP/1.1");
        assertThat(reply.text()).isEqualTo("Hello, World!\n");
        assertThat(reply.header("Content-Length")).isEqualTo("14");
        assertThat(reply.header("Content-Type")).startsWith("text/plain");
        assertThat(reply.header("Server")).isNotBlank();
        assertThat(reply.header("Date")).endsWith("GMT");
    }

    @Test
    void timingHeadersDescribeTheRequest() throws IOException {
        long before = Timing.nowMicros();
        RawHttp.Reply reply = RawHttp.get(address(), "/sleep/20");
        long after = Timing.nowMicros();
        long accepted = reply.micros(Timing.ACCEPTED);
        long started = reply.micros(Timing.STARTED);
        long finished = reply.micros(Timing.FINISHED);
        // Clocks are the same machine's; allow a little slack for clock reads on either side.
        assertThat(accepted).isBetween(before - 5_000, after);
        assertThat(started).isBetween(accepted, finished);
        assertThat(finished - started).as("the wait is inside the service time").isGreaterThanOrEqualTo(15_000);
        assertThat(finished).isLessThanOrEqualTo(after + 5_000);
        assertThat(reply.header(Timing.SERVED_BY)).matches("\\d+/.+");
    }

    @Test
    void fibIsComputed() throws IOException {
        RawHttp.Reply reply = RawHttp.get(address(), "/fib/20");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("6765\n");
        assertThat(RawHttp.get(address(), "/fib/0").text()).isEqualTo("0\n");
        assertThat(RawHttp.get(address(), "/fib/1").text()).isEqualTo("1\n");
    }

    @Test
    void sleepWaitsAndSaysHowLong() throws IOException {
        long start = System.nanoTime();
        RawHttp.Reply reply = RawHttp.get(address(), "/sleep/50");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("50\n");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(45));
    }

    @Test
    void unknownPathIs404() throws IOException {
        assertThat(RawHttp.get(address(), "/nope").status()).isEqualTo(404);
        assertThat(RawHttp.get(address(), "/fib").status()).isEqualTo(404);
    }

    @Test
    void wrongMethodIs405WithAllow() throws IOException {
        RawHttp.Reply reply = RawHttp.exchange(address(), "DELETE /fib/3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assertThat(reply.status()).isEqualTo(405);
        assertThat(reply.header("Allow")).contains("GET");
        RawHttp.Reply root = RawHttp.exchange(address(), "PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertThat(root.status()).isEqualTo(405);
        assertThat(root.header("Allow")).contains("POST");
    }

    @Test
    void headHasHeadersButNoBody() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Reply head = http.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("14");
            // The next response must start right after the head: no body bytes in between.
            http.send("GET /fib/10 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(http.read().text()).isEqualTo("55\n");
        }
    }

    // ---- bodies -------------------------------------------------------------------------------------

    @Test
    void postEchoesAContentLengthBody() throws IOException {
        RawHttp.Reply reply = RawHttp.exchange(address(),
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("hello world");
        assertThat(reply.header("Content-Type")).isEqualTo("text/plain");
    }

    @Test
    void postEchoesAChunkedBody() throws IOException {
        RawHttp.Reply reply = RawHttp.exchange(address(),
                "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("hello world");
    }

    @Test
    void expectContinueGets100ThenTheAnswer() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Reply interim = http.read();
            assertThat(interim.status()).isEqualTo(100);
            http.send("ping");
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.text()).isEqualTo("ping");
        }
    }

    // ---- connections --------------------------------------------------------------------------------

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            for (int i = 0; i < 5; i++) {
                http.send("GET /fib/" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                RawHttp.Reply reply = http.read();
                assertThat(reply.status()).isEqualTo(200);
                assertThat(reply.header("Connection")).isNotEqualToIgnoringCase("close");
            }
        }
    }

    @Test
    void connectionCloseIsHonoured() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            RawHttp.Reply reply = http.read();
            assertThat(reply.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void http10ClosesUnlessAskedToKeepAlive() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("GET / HTTP/1.0\r\n\r\n");
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).isEqualTo(200);
            assertThat(http.closedByServer()).isTrue();
        }
        try (RawHttp http = new RawHttp(address())) {
            http.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Reply reply = http.read();
            assertThat(reply.header("Connection")).isEqualToIgnoringCase("keep-alive");
            http.send("GET /fib/3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertThat(http.read().text()).isEqualTo("2\n");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("GET /sleep/30 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /fib/7 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            List<RawHttp.Reply> replies = http.read(4);
            assertThat(replies).extracting(RawHttp.Reply::text).containsExactly("30\n", "13\n", "abc", "Hello, World!\n");
            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void bareLfLineEndingsAreAccepted() throws IOException {
        RawHttp.Reply reply = RawHttp.exchange(address(), "GET /fib/5 HTTP/1.1\nHost: t\nConnection: close\n\n");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("5\n");
    }

    // ---- shutdown -----------------------------------------------------------------------------------

    /** The experiment's application, noting each request whose handling began (by its X-Id header). */
    private static final class Watched implements Application {
        final Semaphore started = new Semaphore(0);
        final Set<String> ids = ConcurrentHashMap.newKeySet();

        @Override
        public Reply handle(Request request) {
            String id = request.headers().get("X-Id");
            if (id != null) ids.add(id);
            started.release();
            return Application.experiment().handle(request);
        }
    }

    @Test
    void closeFinishesAnInFlightRequestThenStopsListening() throws Exception {
        Watched app = new Watched();
        RunningServer own = startOwn(config().limits(), app);
        InetSocketAddress ownAddress = loopback(own);
        try (RawHttp http = new RawHttp(ownAddress)) {
            http.send("GET /sleep/400 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(app.started.tryAcquire(10, TimeUnit.SECONDS)).as("the server took the request").isTrue();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(own::close);
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).as("the accepted request is answered").isEqualTo(200);
            assertThat(reply.text()).isEqualTo("400\n");
            assertThat(reply.header("Connection")).as("and the connection ends with it").isEqualToIgnoringCase("close");
            closing.get(30, TimeUnit.SECONDS);
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

    /**
     * A burst of connections, some in flight when close() begins: every request the server had started is
     * answered. (Connections still in the kernel's backlog were never accepted, and may be reset.)
     */
    @Test
    void closeAnswersEveryRequestItHadStarted() throws Exception {
        Watched app = new Watched();
        RunningServer own = startOwn(config().limits(), app);
        List<RawHttp> clients = new ArrayList<>();
        List<Object> outcomes = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                clients.add(new RawHttp(loopback(own), 15_000).send("GET /sleep/300 HTTP/1.1\r\nHost: t\r\nX-Id: " + i + "\r\n\r\n"));
            }
            assertThat(app.started.tryAcquire(10, TimeUnit.SECONDS)).as("a request in flight").isTrue();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(own::close);
            for (RawHttp client : clients) {
                try {
                    outcomes.add(client.read());
                } catch (IOException neverAccepted) {
                    outcomes.add(neverAccepted);
                }
            }
            closing.get(30, TimeUnit.SECONDS);
        } finally {
            own.close();
            for (RawHttp client : clients) client.close();
        }
        assertThat(app.ids).as("requests the server started").isNotEmpty();
        for (String id : app.ids) {
            assertThat(outcomes.get(Integer.parseInt(id))).as("request " + id + " was started, so it is answered")
                    .isInstanceOfSatisfying(RawHttp.Reply.class, r -> assertThat(r.text()).isEqualTo("300\n"));
        }
        for (Object outcome : outcomes) {
            if (outcome instanceof RawHttp.Reply reply) assertThat(reply.status()).as("any answer is the real one").isEqualTo(200);
        }
    }

    @Test
    void closeClosesIdleKeepAliveConnectionsAtOnce() throws Exception {
        RunningServer own = startOwn(config().limits(), Application.experiment());
        try (RawHttp http = new RawHttp(loopback(own), 15_000)) {
            assertThat(http.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status()).isEqualTo(200);
            long start = System.nanoTime();
            own.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("an idle connection does not hold close() for the drain timeout")
                    .isLessThan(config().limits().drainTimeout().dividedBy(2));
            assertThat(http.closedByServer()).as("the idle connection is closed").isTrue();
        } finally {
            own.close();
        }
    }

    /** Work still running at the drain timeout is cut off, and close() still releases every thread and socket. */
    @Test
    void closeForcesWhatIsStillBusyAfterTheDrainTimeoutAndReleasesEverything() throws Exception {
        ResourceProbe.Snapshot before = resources();
        Watched app = new Watched();
        Limits limits = config().limits().withDrainTimeout(Duration.ofSeconds(1));
        RunningServer own = startOwn(limits, app);
        try (RawHttp http = new RawHttp(loopback(own), 15_000)) {
            http.send("GET /sleep/20000 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(app.started.tryAcquire(10, TimeUnit.SECONDS)).as("the request is in flight").isTrue();
            long start = System.nanoTime();
            own.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("close() returns after the drain timeout")
                    .isLessThan(limits.drainTimeout().plusSeconds(5));
            assertThatThrownBy(http::read).as("the request cut off has no answer").isInstanceOf(IOException.class);
        } finally {
            own.close();
        }
        if (ResourceProbe.available()) {
            ResourceProbe.awaitBackTo(before, this::resources, 0, Duration.ofSeconds(15), "after a forced close()");
        }
    }
}
