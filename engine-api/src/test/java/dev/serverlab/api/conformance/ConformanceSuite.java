package dev.serverlab.api.conformance;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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
 * Override {@link #config()} to run it on a variant (an option, a worker count). The list of malformed
 * requests is {@link #malformed()}: one shared list, the same statuses on every engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ConformanceSuite {

    protected abstract ServerEngine engine();

    /** The config the suite's server runs with: loopback, an ephemeral port. */
    protected EngineConfig config() {
        return EngineConfig.ephemeral();
    }

    private RunningServer server;
    private InetSocketAddress address;

    @BeforeAll
    void startServer() throws IOException {
        server = engine().start(config(), Application.experiment());
        address = new InetSocketAddress("127.0.0.1", server.port());
    }

    @AfterAll
    void stopServer() {
        if (server != null) server.close();
    }

    protected InetSocketAddress address() {
        return address;
    }

    // ---- routes -------------------------------------------------------------------------------------

    @Test
    void getRootAnswersHelloWithStandardHeaders() throws IOException {
        RawHttp.Reply reply = RawHttp.get(address, "/");
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
        RawHttp.Reply reply = RawHttp.get(address, "/sleep/20");
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
        RawHttp.Reply reply = RawHttp.get(address, "/fib/20");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("6765\n");
        assertThat(RawHttp.get(address, "/fib/0").text()).isEqualTo("0\n");
        assertThat(RawHttp.get(address, "/fib/1").text()).isEqualTo("1\n");
    }

    @Test
    void sleepWaitsAndSaysHowLong() throws IOException {
        long start = System.nanoTime();
        RawHttp.Reply reply = RawHttp.get(address, "/sleep/50");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("50\n");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(45));
    }

    @ParameterizedTest
    @MethodSource
    void badWorkloadParametersGet400(String path) throws IOException {
        RawHttp.Reply reply = RawHttp.get(address, path);
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.text()).endsWith("\n").doesNotContain("Exception").hasLineCount(1);
    }

    static Stream<String> badWorkloadParametersGet400() {
        return Stream.of("/fib/-1", "/fib/abc", "/fib/46", "/fib/99999999999999999999", "/fib/", "/fib/1.5",
                "/sleep/-5", "/sleep/60001", "/sleep/x", "/sleep/4294967296", "/sleep/+1");
    }

    @Test
    void unknownPathIs404() throws IOException {
        assertThat(RawHttp.get(address, "/nope").status()).isEqualTo(404);
        assertThat(RawHttp.get(address, "/fib").status()).isEqualTo(404);
    }

    @Test
    void wrongMethodIs405WithAllow() throws IOException {
        RawHttp.Reply reply = RawHttp.exchange(address, "DELETE /fib/3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assertThat(reply.status()).isEqualTo(405);
        assertThat(reply.header("Allow")).contains("GET");
        RawHttp.Reply root = RawHttp.exchange(address, "PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertThat(root.status()).isEqualTo(405);
        assertThat(root.header("Allow")).contains("POST");
    }

    @Test
    void headHasHeadersButNoBody() throws IOException {
        try (RawHttp http = new RawHttp(address)) {
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
        RawHttp.Reply reply = RawHttp.exchange(address,
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("hello world");
        assertThat(reply.header("Content-Type")).isEqualTo("text/plain");
    }

    @Test
    void postEchoesAChunkedBody() throws IOException {
        RawHttp.Reply reply = RawHttp.exchange(address,
                "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("hello world");
    }

    @Test
    void expectContinueGets100ThenTheAnswer() throws IOException {
        try (RawHttp http = new RawHttp(address)) {
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
        try (RawHttp http = new RawHttp(address)) {
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
        try (RawHttp http = new RawHttp(address)) {
            http.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            RawHttp.Reply reply = http.read();
            assertThat(reply.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void http10ClosesUnlessAskedToKeepAlive() throws IOException {
        try (RawHttp http = new RawHttp(address)) {
            http.send("GET / HTTP/1.0\r\n\r\n");
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).isEqualTo(200);
            assertThat(http.closedByServer()).isTrue();
        }
        try (RawHttp http = new RawHttp(address)) {
            http.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Reply reply = http.read();
            assertThat(reply.header("Connection")).isEqualToIgnoringCase("keep-alive");
            http.send("GET /fib/3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertThat(http.read().text()).isEqualTo("2\n");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (RawHttp http = new RawHttp(address)) {
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
        RawHttp.Reply reply = RawHttp.exchange(address, "GET /fib/5 HTTP/1.1\nHost: t\nConnection: close\n\n");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("5\n");
    }

    // ---- malformed input ----------------------------------------------------------------------------

    /** One shared list: a raw request and the status every engine answers it with. */
    protected static Stream<Arguments> malformed() {
        String longTarget = "/" + "a".repeat(9000);
        String bigHeader = "X-Big: " + "b".repeat(17_000) + "\r\n";
        StringBuilder manyHeaders = new StringBuilder();
        for (int i = 0; i < 101; i++) manyHeaders.append("X-H").append(i).append(": v\r\n");
        return Stream.of(
                Arguments.of("garbage request line", "THIS IS NOT HTTP\r\n\r\n", 400),
                Arguments.of("binary garbage", "\u0001\u0002\u0003\u0004 \u0005\r\n\r\n", 400),
                Arguments.of("missing version", "GET /\r\nHost: t\r\n\r\n", 400),
                Arguments.of("malformed version", "GET / HTTP/one\r\nHost: t\r\n\r\n", 400),
                Arguments.of("unsupported version", "GET / HTTP/9.9\r\nHost: t\r\n\r\n", 505),
                Arguments.of("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
                Arguments.of("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400),
                Arguments.of("two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                Arguments.of("NUL in a header value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u0000b\r\n\r\n", 400),
                Arguments.of("control character in a header value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u0007b\r\n\r\n", 400),
                Arguments.of("obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n", 400),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
                Arguments.of("Content-Length with a sign", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc", 400),
                Arguments.of("negative Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -3\r\n\r\nabc", 400),
                Arguments.of("Content-Length with non-digits", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3a\r\n\r\nabc", 400),
                Arguments.of("Content-Length with inner spaces", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1 2\r\n\r\nabc", 400),
                Arguments.of("two different Content-Lengths", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
                Arguments.of("Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
                Arguments.of("unknown Transfer-Encoding", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
                Arguments.of("malformed chunk size", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
                Arguments.of("request line too long", "GET " + longTarget + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
                Arguments.of("header section too large", "GET / HTTP/1.1\r\nHost: t\r\n" + bigHeader + "\r\n", 431),
                Arguments.of("too many header fields", "GET / HTTP/1.1\r\nHost: t\r\n" + manyHeaders + "\r\n", 431),
                Arguments.of("body too large", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n", 413),
                Arguments.of("unsupported expectation", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: teapot\r\n\r\nabc", 417));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("malformed")
    void malformedRequestsGetTheRightStatusAndTheServerKeepsServing(String name, String request, int status) throws IOException {
        try (RawHttp http = new RawHttp(address)) {
            http.send(request);
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).as(name).isEqualTo(status);
            assertThat(reply.text()).as("a short reason, no stack trace").doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(reply.text().length()).isLessThan(200);
            assertThat(http.closedByServer()).as("the connection is closed after a refusal").isTrue();
        }
        assertThat(RawHttp.get(address, "/fib/10").text()).as("still serving after: " + name).isEqualTo("55\n");
    }

    // ---- shutdown -----------------------------------------------------------------------------------

    @Test
    void closeFinishesAnInFlightRequestThenStopsListening() throws Exception {
        RunningServer own = engine().start(config(), Application.experiment());
        InetSocketAddress ownAddress = new InetSocketAddress("127.0.0.1", own.port());
        try (RawHttp http = new RawHttp(ownAddress)) {
            http.send("GET /sleep/400 HTTP/1.1\r\nHost: t\r\n\r\n");
            // Give the server time to take the request before shutdown begins.
            Thread.sleep(150);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(own::close);
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).as("the accepted request is answered").isEqualTo(200);
            assertThat(reply.text()).isEqualTo("400\n");
            closing.get(30, TimeUnit.SECONDS);
        } finally {
            own.close();
        }
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(ownAddress, 2000);
            }
        }).as("no longer listening").isInstanceOf(ConnectException.class);
    }
}
