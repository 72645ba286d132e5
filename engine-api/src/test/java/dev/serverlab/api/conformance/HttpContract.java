package dev.serverlab.api.conformance;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a client sees from the engine over real loopback sockets: routes, headers, keep-alive,
 * pipelining, HEAD, 100-continue, chunked bodies and the refusals of the shared codec.
 */
public abstract class HttpContract {

    protected RunningServer server;

    protected abstract ServerEngine engine();

    protected EngineConfig config() {
        return EngineConfig.ephemeral().withLimits(Limits.DEFAULTS.withMaxBodyBytes(64 * 1024));
    }

    /** The prefix of the threads that serve requests, such as {@code netty-loop-}. */
    protected abstract String loopThreadPrefix();

    @BeforeEach
    void start() throws IOException {
        server = engine().start(config(), Application.experiment());
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    protected int port() {
        return server.port();
    }

    @Test
    void helloCarriesTheSharedHeaders() throws IOException {
        long before = System.currentTimeMillis() * 1000;
        Wire.Answer a = Wire.exchange(port(), Wire.get("/"));
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.reason()).isEqualTo("OK");
        assertThat(a.text()).isEqualTo("Hello, World!\n");
        assertThat(a.header("Server")).isEqualTo("serverlab");
        assertThat(a.header("Date")).endsWith("GMT");
        assertThat(a.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(a.header("Content-Length")).isEqualTo("14");
        assertThat(a.header("Connection")).isEqualTo("keep-alive");
        assertThat(a.names()).startsWith("Server", "Date", "Content-Type", "Content-Length", "Connection",
                "X-Accepted-At", "X-Started-At", "X-Finished-At", "X-Served-By");
        long accepted = a.micros("X-Accepted-At");
        long started = a.micros("X-Started-At");
        long finished = a.micros("X-Finished-At");
        assertThat(accepted).isBetween(before - 1_000_000, System.currentTimeMillis() * 1000 + 1_000_000);
        assertThat(started).isGreaterThanOrEqualTo(accepted);
        assertThat(finished).isGreaterThanOrEqualTo(started);
        assertThat(a.header("X-Served-By")).matches(ProcessHandle.current().pid() + "/" + loopThreadPrefix() + "\\d+");
    }

    @Test
    void sleepAndFibAnswer() throws IOException {
        Wire.Answer sleep = Wire.exchange(port(), Wire.get("/sleep/50"));
        assertThat(sleep.status()).isEqualTo(200);
        assertThat(sleep.text()).isEqualTo("50\n");
        assertThat(sleep.micros("X-Finished-At") - sleep.micros("X-Started-At")).isGreaterThanOrEqualTo(45_000);
        Wire.Answer fib = Wire.exchange(port(), Wire.get("/fib/20"));
        assertThat(fib.text()).isEqualTo("6765\n");
    }

    @Test
    void applicationStatuses() throws IOException {
        assertThat(Wire.exchange(port(), Wire.get("/nowhere")).status()).isEqualTo(404);
        assertThat(Wire.exchange(port(), Wire.get("/fib/x")).status()).isEqualTo(400);
        Wire.Answer notAllowed = Wire.exchange(port(), "DELETE / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThat(notAllowed.status()).isEqualTo(405);
        assertThat(notAllowed.header("Allow")).isEqualTo("GET, HEAD, POST");
    }

    @Test
    void headHasTheHeadersOfGetAndNoBody() throws IOException {
        try (Wire wire = Wire.connect(port())) {
            Wire.Answer head = wire.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n").read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("14");
            // The next answer on the same connection starts right after the headers: no body was sent.
            Wire.Answer next = wire.send(Wire.get("/")).read();
            assertThat(next.text()).isEqualTo("Hello, World!\n");
        }
    }

    @Test
    void postIsEchoed() throws IOException {
        Wire.Answer a = Wire.exchange(port(), "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: text/x-test\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.header("Content-Type")).isEqualTo("text/x-test");
        assertThat(a.text()).isEqualTo("hello");
    }

    @Test
    void chunkedBodyIsDecoded() throws IOException {
        Wire.Answer a = Wire.exchange(port(), "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.text()).isEqualTo("hello world");
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws IOException {
        try (Wire wire = Wire.connect(port())) {
            for (int i = 0; i < 5; i++) {
                Wire.Answer a = wire.send(Wire.get("/sleep/" + i)).read();
                assertThat(a.text()).isEqualTo(i + "\n");
            }
            Wire.Answer last = wire.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").read();
            assertThat(last.header("Connection")).isEqualTo("close");
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void http10ClosesUnlessAskedToKeepAlive() throws IOException {
        try (Wire wire = Wire.connect(port())) {
            Wire.Answer a = wire.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
            assertThat(a.header("Connection")).isEqualTo("keep-alive");
            Wire.Answer b = wire.send("GET / HTTP/1.0\r\n\r\n").read();
            assertThat(b.status()).isEqualTo(200);
            assertThat(b.header("Connection")).isEqualTo("close");
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (Wire wire = Wire.connect(port())) {
            // The slow one first: its answer must still come first.
            wire.send(Wire.get("/sleep/300") + Wire.get("/fib/10") + "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + Wire.get("/sleep/1"));
            assertThat(wire.read().text()).isEqualTo("300\n");
            assertThat(wire.read().text()).isEqualTo("55\n");
            assertThat(wire.read(true).header("Content-Length")).isEqualTo("14");
            assertThat(wire.read().text()).isEqualTo("1\n");
        }
    }

    @Test
    void refusalAfterPipelinedRequestsComesAfterTheirAnswers() throws IOException {
        try (Wire wire = Wire.connect(port())) {
            wire.send(Wire.get("/sleep/200") + "GET / HTTP/1.1\r\n\r\n");
            assertThat(wire.read().text()).isEqualTo("200\n");
            Wire.Answer refused = wire.read();
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.header("Connection")).isEqualTo("close");
            assertThat(wire.closedByServer()).isTrue();
        }
    }

    @Test
    void expectContinueGetsAnInterimAnswerBeforeTheBody() throws IOException {
        try (Wire wire = Wire.connect(port())) {
            wire.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            Wire.Answer interim = wire.read();
            assertThat(interim.status()).isEqualTo(100);
            Wire.Answer done = wire.send("ping").read();
            assertThat(done.status()).isEqualTo(200);
            assertThat(done.text()).isEqualTo("ping");
        }
    }

    @Test
    void expectOnARequestWithoutABodyIsIgnored() throws IOException {
        Wire.Answer a = Wire.exchange(port(), "GET / HTTP/1.1\r\nHost: t\r\nExpect: something\r\n\r\n");
        assertThat(a.status()).isEqualTo(200);
    }

    @Test
    void malformedRequestsGetTheSharedStatuses() throws IOException {
        assertRefused("GARBAGE\r\n\r\n", 400);
        assertRefused("GET /\r\n\r\n", 400);
        assertRefused("GET / HTTP/1.1\r\n\r\n", 400);                                  // no Host
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);             // two Hosts
        assertRefused("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);                       // space before colon
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400);
        assertRefused("GET nowhere HTTP/1.1\r\nHost: a\r\n\r\n", 400);                 // not origin-form
        assertRefused("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
        assertRefused("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
        assertRefused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);                         // HTTP/2 preface
        assertRefused("GET / HTTP/11\r\nHost: a\r\n\r\n", 400);
        assertRefused("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414);
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(17_000) + "\r\n\r\n", 431);
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\n" + "X-Many: 1\r\n".repeat(101) + "\r\n", 431);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n", 413);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
        assertRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: magic\r\n\r\nab", 417);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
    }

    @Test
    void equalRepeatedContentLengthsAreAccepted() throws IOException {
        Wire.Answer a = Wire.exchange(port(), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.text()).isEqualTo("ok");
    }

    @Test
    void aBodyOfExactlyTheLimitIsEchoed() throws IOException {
        String body = "y".repeat(64 * 1024);
        Wire.Answer plain = Wire.exchange(port(), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.text()).isEqualTo(body);
        String half = "y".repeat(32 * 1024);
        String chunk = Integer.toHexString(half.length()) + "\r\n" + half + "\r\n";
        Wire.Answer chunked = Wire.exchange(port(), "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk + "0\r\n\r\n");
        assertThat(chunked.status()).isEqualTo(200);
        assertThat(chunked.text()).isEqualTo(body);
    }

    @Test
    void chunkedBodyPastTheLimitIs413() throws IOException {
        String chunk = Integer.toHexString(40_000) + "\r\n" + "x".repeat(40_000) + "\r\n";
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk + "0\r\n\r\n", 413);
    }

    @Test
    void refusalsCarryTimingHeadersAndClose() throws IOException {
        try (Wire wire = Wire.connect(port())) {
            Wire.Answer a = wire.send("BROKEN\r\n\r\n").read();
            assertThat(a.status()).isEqualTo(400);
            assertThat(a.reason()).isEqualTo("Bad Request");
            assertThat(a.header("Connection")).isEqualTo("close");
            assertThat(a.header("X-Accepted-At")).isNotNull();
            assertThat(a.header("X-Served-By")).isNotNull();
            assertThat(a.text()).endsWith("\n");
            assertThat(wire.closedByServer()).isTrue();
        }
        // and the server goes on serving
        assertThat(Wire.exchange(port(), Wire.get("/")).status()).isEqualTo(200);
    }

    @Test
    void reasonPhrasesAreTheSharedOnes() throws IOException {
        assertThat(Wire.exchange(port(), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n").reason()).isEqualTo("Content Too Large");
        assertThat(Wire.exchange(port(), Wire.get("/nowhere")).reason()).isEqualTo("Not Found");
    }

    protected void assertRefused(String raw, int status) throws IOException {
        try (Wire wire = Wire.connect(port())) {
            Wire.Answer a = wire.send(raw).read();
            assertThat(a.status()).as("status for %s", raw.length() > 80 ? raw.substring(0, 80) + "..." : raw).isEqualTo(status);
            assertThat(a.header("Connection")).isEqualTo("close");
            assertThat(wire.timeout((int) Duration.ofSeconds(5).toMillis()).closedByServer()).isTrue();
        }
    }
}
