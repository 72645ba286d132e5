package dev.serverlab.api.conformance;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.util.List;
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
 * routes, bodies, keep-alive, pipelining and where the server listens; it inherits the hostile input
 * ({@link HostileInputCases}: one shared list of malformed requests, the limits to the byte), the
 * misbehaving clients ({@link ClientFaultCases}: vanishing, slow, non-reading, too many, resetting) and the
 * shutdown ({@link ShutdownCases}) from the classes it extends.
 */
public abstract class ConformanceSuite extends ShutdownCases {

    // ---- routes -------------------------------------------------------------------------------------

    @Test
    void getRootAnswersHelloWithStandardHeaders() throws IOException {
        RawHttp.Reply reply = RawHttp.get(address(), "/");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.version()).isEqualTo("HTTP/1.1");
        assertThat(reply.text()).isEqualTo("Hello, World!\n");
        assertThat(reply.header("Content-Length")).isEqualTo("14");
        assertThat(reply.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(reply.header("Server")).isEqualTo("serverlab");
        assertThat(reply.reason()).isEqualTo("OK");
        // RawHttp has checked the grammar of every field, Date's IMF-fixdate among them.
        assertThat(reply.values("Date")).hasSize(1);
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

    /**
     * A client that pipelines a thousand requests and reads nothing for a while gets a thousand answers, in
     * order. (The pause is no timing under test: it only makes the client late. Vert.x once closed such a
     * client about 30 ms after its answers stopped being read.)
     */
    @Test
    void aThousandPipelinedRequestsGetAThousandAnswersInOrder() throws Exception {
        int n = 1000;
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < n; i++) requests.append("GET /fib/").append(i % 20).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
        try (RawHttp http = new RawHttp(address(), 30_000)) {
            // Writing while nothing is read can fill both socket buffers: write from another thread, read here.
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    http.send(requests.toString());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(300);
            for (int i = 0; i < n; i++) {
                RawHttp.Reply reply = http.read();
                assertThat(reply.status()).as("answer %d", i).isEqualTo(200);
                assertThat(reply.text()).as("answer %d", i).isEqualTo(Expected.fibBody(i % 20));
            }
            writer.join();
        }
    }

    @Test
    void aRefusalAfterPipelinedRequestsComesAfterTheirAnswers() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            http.send("GET /sleep/100 HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\n\r\n");
            assertThat(http.read().text()).isEqualTo("100\n");
            RawHttp.Reply refused = http.read();
            assertThat(refused.status()).as("no Host on HTTP/1.1").isEqualTo(400);
            assertThat(refused.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void expectOnARequestWithoutABodyIsIgnored() throws IOException {
        RawHttp.Reply reply = RawHttp.exchange(address(), "GET / HTTP/1.1\r\nHost: t\r\nExpect: something\r\nConnection: close\r\n\r\n");
        assertThat(reply.status()).isEqualTo(200);
    }

    /** Used as one length (the shared codec), or refused with 400 where the engine chose so (RFC 9110 §8.6). */
    @Test
    void equalRepeatedContentLengthsAreAcceptedOrRefusedAsChosen() throws IOException {
        assertAcceptedOrRefused(RfcChoices.EQUAL_CONTENT_LENGTHS, "ok");
    }

    /** A refusal is an answer like any other: reason phrase, timing headers, then the close. */
    @Test
    void refusalsCarryTheSharedReasonTimingHeadersAndClose() throws IOException {
        try (RawHttp http = new RawHttp(address())) {
            RawHttp.Reply reply = http.send("BROKEN\r\n\r\n").read();
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.reason()).isEqualTo("Bad Request");
            assertThat(reply.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(reply.header(Timing.ACCEPTED)).isNotNull();
            assertThat(reply.header(Timing.SERVED_BY)).matches("\\d+/.+");
            assertThat(reply.text()).endsWith("\n");
            assertThat(http.closedByServer()).isTrue();
        }
        assertThat(RawHttp.exchange(address(), "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n").reason())
                .isEqualTo("Content Too Large");
        assertThat(RawHttp.get(address(), "/nowhere").reason()).isEqualTo("Not Found");
    }

    /** Recognised as line ends (the shared codec), or refused with 400 where the engine chose so (RFC 9112 §2.2). */
    @Test
    void bareLfLineEndingsAreAcceptedOrRefusedAsChosen() throws IOException {
        assertAcceptedOrRefused(RfcChoices.BARE_LF, "5\n");
    }

    private void assertAcceptedOrRefused(String name, String body) throws IOException {
        String request = RfcChoices.MAY_REFUSE.get(name);
        if (expectedStatus(name, 200) == 400) {
            assertRefused(address(), name, request, 400);
        } else {
            RawHttp.Reply reply = RawHttp.exchange(address(), request);
            assertThat(reply.status()).as(name).isEqualTo(200);
            assertThat(reply.text()).as(name).isEqualTo(body);
        }
        assertStillServing(address(), name);
    }

    // ---- where it listens ---------------------------------------------------------------------------

    /** By default an engine binds loopback only: other machines (and this one's other addresses) cannot reach it. */
    @Test
    void itListensOnLoopbackOnlyByDefault() throws IOException {
        assertThat(config().host()).as("the kit's config keeps the default host").isEqualTo(EngineConfig.DEFAULT_HOST);
        assertThat(defaultServer().address().getAddress().isLoopbackAddress()).as("the bound address").isTrue();
        List<InetAddress> others = NetworkInterface.networkInterfaces().filter(ConformanceSuite::isUp)
                .flatMap(NetworkInterface::inetAddresses).filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress()).toList();
        for (InetAddress other : others) {
            assertThatThrownBy(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(other, defaultServer().port()), 2000);
                }
            }).as("not reachable on " + other.getHostAddress()).isInstanceOf(IOException.class);
        }
    }

    private static boolean isUp(NetworkInterface nic) {
        try {
            return nic.isUp();
        } catch (java.net.SocketException e) {
            return false;
        }
    }
}
