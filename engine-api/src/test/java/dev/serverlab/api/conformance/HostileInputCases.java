package dev.serverlab.api.conformance;

import dev.serverlab.api.RunningServer;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes a server must refuse, each with one status on every engine, and the limits to the byte: one shared
 * list ({@link #malformed()} on the default limits, {@link #overLimits()} on {@link #SMALL_LIMITS}). After
 * each refusal the connection is closed, the body is a short line of text that echoes nothing of the
 * request, and the same server answers the next good request.
 */
public abstract class HostileInputCases extends ServersUnderTest {

    /**
     * Where this engine answers a refused request with another status than the shared codec's, by case name
     * (the first argument of {@link #malformed()} and {@link #overLimits()}). Only an engine whose library
     * decodes HTTP (netty, vertx) lists any, and only what RFC 9110/9112 allow:
     * <ul>
     *   <li>another status of the same class (say 400 where the shared codec says 431);</li>
     *   <li>{@value #WHEN_TIME_IS_UP}: a library that does not look at what the shared codec refuses at once (a
     *       chunk size past the body limit) waits for the bytes, and the request's time running out ends it
     *       with a 408. The kit runs such a case on the small-limits server, whose timeouts are short;</li>
     *   <li>{@value #NO_ANSWER}: the connection is closed without an answer, where the RFCs require none
     *       ({@link RfcChoices#MAY_CLOSE_UNANSWERED}): bytes skipped as noise and closed when idle, a version the
     *       library cannot answer in, a slowloris at its header deadline, a client that half-closed. Checked on
     *       the small-limits server, whose timeouts are short: closed, not a byte sent, and still serving;</li>
     *   <li>200 for a request the RFCs let a server accept, or 400 for one they let it refuse
     *       ({@link RfcChoices}).</li>
     * </ul>
     * Besides the names of {@link #malformed()} and {@link #overLimits()}, a choice may name a case of
     * {@link RfcChoices#OTHER_CASES}. Anything else fails the run, and so does a choice for a case that does not exist.
     */
    protected Map<String, Integer> statusChoices() {
        return Map.of();
    }

    /** A choice: answered with 408 once the request's time is up, not refused at once. */
    public static final int WHEN_TIME_IS_UP = 408;
    /** A choice: the connection is closed without an answer. */
    public static final int NO_ANSWER = 0;

    /** The status this engine must answer case {@code name} with: the shared codec's unless it chose another. */
    protected final int expectedStatus(String name, int sharedCodecStatus) {
        Integer chosen = statusChoices().get(name);
        if (chosen == null) return sharedCodecStatus;
        boolean allowed = RfcChoices.allowed(name, chosen, sharedCodecStatus);
        assertThat(allowed).as("%s: the choice %d is one RFC 9110/9112 allow instead of the shared codec's %d", name, chosen, sharedCodecStatus)
                .isTrue();
        return chosen;
    }

    /** Sends case {@code name} and checks this engine's answer to it, on whichever server the answer needs. */
    private void assertCase(InetSocketAddress address, String name, String request, int sharedCodecStatus) throws IOException {
        int expected = expectedStatus(name, sharedCodecStatus);
        if (expected == NO_ANSWER) {
            try (RawHttp http = new RawHttp(smallLimitsAddress())) {
                http.send(request);
                assertThat(http.closedByServer()).as(name + ": closed (at once, or when idle) without an answer").isTrue();
            }
            assertStillServing(smallLimitsAddress(), name);
        } else if (expected == WHEN_TIME_IS_UP && sharedCodecStatus != WHEN_TIME_IS_UP) {
            assertRefused(smallLimitsAddress(), name, request, WHEN_TIME_IS_UP);
            assertStillServing(smallLimitsAddress(), name);
        } else if (expected == 200) {
            assertThat(RawHttp.exchange(address, request).status()).as(name + ": accepted, as the RFC allows").isEqualTo(200);
            assertStillServing(address, name);
        } else {
            assertRefused(address, name, request, expected);
            assertStillServing(address, name);
        }
    }

    /**
     * LIMITS.md's table of status choices says what this engine does: its column (if it has one) holds its
     * choices, and an engine without a column chose nothing.
     */
    @Test
    void limitsMdRecordsThisEnginesStatusChoices() throws IOException {
        StatusChoicesTable table = StatusChoicesTable.read();
        String engine = engine().name();
        Map<String, Integer> shared = new java.util.HashMap<>();
        Stream.concat(malformed(), overLimits()).forEach(a -> shared.put((String) a.get()[0], (Integer) a.get()[2]));
        shared.putAll(RfcChoices.OTHER_CASES);
        Map<String, Integer> documented = new java.util.TreeMap<>();
        if (table.columns.contains(engine)) {
            table.rows.forEach((name, row) -> {
                assertThat(shared).as("LIMITS.md names a kit case that does not exist").containsKey(name);
                assertThat(row.get(table.columns.get(1))).as("LIMITS.md's shared-codec status for " + name).isEqualTo(shared.get(name));
                if (!row.get(engine).equals(shared.get(name))) documented.put(name, row.get(engine));
            });
        }
        assertThat(documented).as("the %s column of LIMITS.md's table (%s); this engine's statusChoices() are %s",
                engine, StatusChoicesTable.HEADING, new java.util.TreeMap<>(statusChoices()))
                .isEqualTo(new java.util.TreeMap<>(statusChoices()));
    }

    @Test
    void everyStatusChoiceNamesAKnownCase() {
        Set<String> known = Stream.concat(malformed(), overLimits()).map(a -> (String) a.get()[0]).collect(Collectors.toSet());
        known.addAll(RfcChoices.OTHER_CASES.keySet());
        assertThat(known).as("the cases this engine chose other statuses for").containsAll(statusChoices().keySet());
    }

    /** A token no answer may contain: refusals must not echo request data. */
    private static final String MARKER = "qzx7marker";

    // ---- malformed requests, default limits ---------------------------------------------------------

    /** One shared list: a raw request and the status every engine answers it with. */
    protected static Stream<Arguments> malformed() {
        String longTarget = "/" + "a".repeat(9000);
        String bigHeader = "X-Big: " + "b".repeat(17_000) + "\r\n";
        StringBuilder manyHeaders = new StringBuilder();
        for (int i = 0; i < 101; i++) manyHeaders.append("X-H").append(i).append(": v\r\n");
        return Stream.of(
                // request line
                Arguments.of("garbage request line", "THIS IS NOT HTTP\r\n\r\n", 400),
                Arguments.of("binary garbage", "\u0001\u0002\u0003\u0004 \u0005\r\n\r\n", 400),
                Arguments.of("TLS hello on the HTTP port", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n", 400),
                Arguments.of("missing version", "GET /\r\nHost: t\r\n\r\n", 400),
                Arguments.of("malformed version", "GET / HTTP/one\r\nHost: t\r\n\r\n", 400),
                Arguments.of("lower-case version", "GET / http/1.1\r\nHost: t\r\n\r\n", 400),
                Arguments.of("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
                Arguments.of("tab as separator", "GET\t/ HTTP/1.1\r\nHost: t\r\n\r\n", 400),
                Arguments.of("NUL in the target", "GET /a\u0000b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
                Arguments.of("target not a path", "GET fib/3 HTTP/1.1\r\nHost: t\r\n\r\n", 400),
                Arguments.of("unsupported version", "GET / HTTP/9.9\r\nHost: t\r\n\r\n", 505),
                Arguments.of("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
                Arguments.of("bare CR as a line end", "GET / HTTP/1.1\rHost: t\r\n\r\n", 400),
                // header fields
                Arguments.of("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400),
                Arguments.of("two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                Arguments.of("NUL in a header value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u0000b\r\n\r\n", 400),
                Arguments.of("NUL in a header name", "GET / HTTP/1.1\r\nHost: t\r\nX\u0000A: b\r\n\r\n", 400),
                Arguments.of("control character in a header value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u0007b\r\n\r\n", 400),
                Arguments.of("DEL in a header value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u007fb\r\n\r\n", 400),
                Arguments.of("obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n", 400),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
                Arguments.of("tab before colon", "GET / HTTP/1.1\r\nHost: t\r\nX-A\t: b\r\n\r\n", 400),
                Arguments.of("header line without colon", "GET / HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n", 400),
                Arguments.of("empty header name", "GET / HTTP/1.1\r\nHost: t\r\n: b\r\n\r\n", 400),
                // framing and smuggling
                Arguments.of("Content-Length with a sign", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc", 400),
                Arguments.of("negative Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -3\r\n\r\nabc", 400),
                Arguments.of("Content-Length with non-digits", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3a\r\n\r\nabc", 400),
                Arguments.of("hexadecimal Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0x3\r\n\r\nabc", 400),
                Arguments.of("Content-Length with inner spaces", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1 2\r\n\r\nabc", 400),
                Arguments.of("empty Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\nabc", 400),
                Arguments.of("overflowing Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\nabc", 400),
                Arguments.of("two different Content-Lengths", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
                Arguments.of("a Content-Length list that disagrees", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
                Arguments.of("Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
                Arguments.of("Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
                Arguments.of("unknown Transfer-Encoding before chunked", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
                Arguments.of("Transfer-Encoding without chunked", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
                Arguments.of("chunked not the last coding", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
                Arguments.of("chunked twice", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                Arguments.of("malformed chunk size", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
                Arguments.of("chunk longer than its size", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", 400),
                Arguments.of("chunk size beyond the body limit", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\nabc", 413),
                Arguments.of("unsupported expectation", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: teapot\r\n\r\nabc", 417),
                // sizes at the default limits
                Arguments.of("request line too long", "GET " + longTarget + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
                Arguments.of("header section too large", "GET / HTTP/1.1\r\nHost: t\r\n" + bigHeader + "\r\n", 431),
                Arguments.of("too many header fields", "GET / HTTP/1.1\r\nHost: t\r\n" + manyHeaders + "\r\n", 431),
                Arguments.of("body too large", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n", 413));
    }

    /** The byte-level cases a {@link #variant()} still runs: one of each kind. */
    private static final Set<String> SMOKE = Set.of(
            "garbage request line", "unsupported version", "missing Host on HTTP/1.1", "obs-fold",
            "Content-Length and Transfer-Encoding", "malformed chunk size", "request line too long",
            "header section too large", "body too large",
            "request line one byte over", "header bytes one over", "header count one over", "body at the limit",
            "body one byte over", "chunked body one byte over");

    Stream<Arguments> malformedHere() {
        return variant() ? malformed().filter(a -> SMOKE.contains((String) a.get()[0])) : malformed();
    }

    Stream<Arguments> overLimitsHere() {
        return variant() ? overLimits().filter(a -> SMOKE.contains((String) a.get()[0])) : overLimits();
    }

    @Test
    void everySmokeCaseExists() {
        Set<String> known = Stream.concat(malformed(), overLimits()).map(a -> (String) a.get()[0]).collect(Collectors.toSet());
        assertThat(known).containsAll(SMOKE);
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("malformedHere")
    void malformedRequestsGetTheRightStatusAndTheServerKeepsServing(String name, String request, int status) throws IOException {
        assertCase(address(), name, request, status);
    }

    // ---- limits to the byte, on the small-limits server ----------------------------------------------

    /** Each limit at its value (served), one byte over, and far over (refused). Sizes follow {@link #SMALL_LIMITS}. */
    protected static Stream<Arguments> overLimits() {
        int line = SMALL_LIMITS.maxRequestLineBytes();
        int headers = SMALL_LIMITS.maxHeaderBytes();
        int count = SMALL_LIMITS.maxHeaderCount();
        int body = (int) SMALL_LIMITS.maxBodyBytes();
        return Stream.of(
                Arguments.of("request line at the limit", requestLine(line) + "Host: t\r\n\r\n", 200),
                Arguments.of("request line one byte over", requestLine(line + 1) + "Host: t\r\n\r\n", 414),
                Arguments.of("request line far over", requestLine(line * 16) + "Host: t\r\n\r\n", 414),
                Arguments.of("header bytes at the limit", "GET / HTTP/1.1\r\n" + headerBytes(headers) + "\r\n", 200),
                Arguments.of("header bytes one over", "GET / HTTP/1.1\r\n" + headerBytes(headers + 1) + "\r\n", 431),
                Arguments.of("header bytes far over", "GET / HTTP/1.1\r\n" + headerBytes(headers * 16) + "\r\n", 431),
                Arguments.of("header count at the limit", "GET / HTTP/1.1\r\n" + headerCount(count) + "\r\n", 200),
                Arguments.of("header count one over", "GET / HTTP/1.1\r\n" + headerCount(count + 1) + "\r\n", 431),
                Arguments.of("header count far over (small fields)", "GET / HTTP/1.1\r\nHost: t\r\n" + "a:\r\n".repeat(100) + "\r\n", 431),
                Arguments.of("body at the limit", post(body), 200),
                Arguments.of("body one byte over", post(body + 1), 413),
                Arguments.of("body far over", post(body * 16), 413),
                Arguments.of("chunked body at the limit", chunked(body), 200),
                Arguments.of("chunked body one byte over", chunked(body + 1), 413),
                Arguments.of("chunked body far over", chunked(body * 16), 413),
                Arguments.of("body over the limit announced with Expect: 100-continue",
                        "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: " + (body + 1) + "\r\n\r\n", 413));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("overLimitsHere")
    void limitsHoldToTheByte(String name, String request, int status) throws IOException {
        if (status == 200) {
            try (RawHttp http = new RawHttp(smallLimitsAddress())) {
                RawHttp.Reply reply = http.send(request).read();
                assertThat(reply.status()).as(name).isEqualTo(200);
                if (request.startsWith("POST")) {
                    assertThat(reply.body()).as("the body is echoed whole").hasSize((int) SMALL_LIMITS.maxBodyBytes());
                }
            }
        } else {
            assertCase(smallLimitsAddress(), name, request, status);
        }
        assertStillServing(smallLimitsAddress(), name);
    }

    /** "GET /?aaa HTTP/1.1" of exactly {@code length} bytes, with its CRLF. */
    static String requestLine(int length) {
        return "GET /?" + "a".repeat(length - "GET /? HTTP/1.1".length()) + " HTTP/1.1\r\n";
    }

    /** Header lines with Host first whose bytes, each line with its CRLF, add up to exactly {@code bytes}. */
    static String headerBytes(int bytes) {
        String host = "Host: t\r\n";
        return host + "X-Fill: " + "b".repeat(bytes - host.length() - "X-Fill: \r\n".length()) + "\r\n";
    }

    /** Exactly {@code count} header fields, Host first. */
    static String headerCount(int count) {
        StringBuilder s = new StringBuilder("Host: t\r\n");
        for (int i = 1; i < count; i++) s.append("X-H").append(i).append(": v\r\n");
        return s.toString();
    }

    static String post(int bodyBytes) {
        return "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " + bodyBytes + "\r\n\r\n" + "p".repeat(bodyBytes);
    }

    static String chunked(int bodyBytes) {
        StringBuilder s = new StringBuilder("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int left = bodyBytes; left > 0; left -= 500) {
            int n = Math.min(500, left);
            s.append(Integer.toHexString(n)).append("\r\n").append("c".repeat(n)).append("\r\n");
        }
        return s.append("0\r\n\r\n").toString();
    }

    // ---- the workload's parameters ------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("badWorkloadParametersHere")
    void badWorkloadParametersGet400(String path) throws IOException {
        RawHttp.Reply reply = RawHttp.get(address(), path);
        assertThat(reply.status()).as(path).isEqualTo(400);
        assertThat(reply.text()).endsWith("\n").doesNotContain("Exception").hasLineCount(1);
    }

    Stream<String> badWorkloadParametersHere() {
        return variant() ? Stream.of("/fib/-1", "/fib/46", "/sleep/60001", "/sleep/x") : badWorkloadParameters();
    }

    static Stream<String> badWorkloadParameters() {
        return Stream.of("/fib/-1", "/fib/abc", "/fib/46", "/fib/99999999999999999999", "/fib/", "/fib/1.5",
                "/fib/2147483647", "/fib/2147483648", "/fib/4294967341", "/fib/-2147483648", "/fib/+5", "/fib/0x10",
                "/fib/1e1", "/fib/%34%35", "/fib/%EF%BC%93", "/fib/1/2", "/fib/-0",
                "/sleep/-5", "/sleep/60001", "/sleep/x", "/sleep/4294967296", "/sleep/+1", "/sleep/",
                "/sleep/99999999999999999999", "/sleep/9223372036854775807", "/sleep/1.5", "/sleep/1e9");
    }

    /** With {@link #SMALL_LIMITS}' 1 s deadline, a 5 s wait is refused rather than waited for. */
    @Test
    void workLongerThanTheRequestDeadlineGets503() throws IOException {
        RawHttp.Reply reply = RawHttp.get(smallLimitsAddress(), "/sleep/5000");
        assertThat(reply.status()).as("a wait past the deadline").isEqualTo(503);
        assertThat(reply.text()).doesNotContain("Exception").hasLineCount(1);
        // The server's own timestamps, not the client's clock: from accept to answer, it did not wait the 5 s.
        Duration served = Duration.ofNanos(1000 * (reply.micros(Timing.FINISHED) - reply.micros(Timing.ACCEPTED)));
        assertThat(served).as("answered at the deadline or sooner, not after the wait").isLessThan(Duration.ofSeconds(4));
        assertThat(RawHttp.get(smallLimitsAddress(), "/sleep/50").text()).as("a wait within the deadline").isEqualTo("50\n");
    }

    // ---- what an error answer may contain ---------------------------------------------------------------

    /** A case named as one of {@link #malformed()} is that case again: this engine's choice for it holds here too. */
    @ParameterizedTest(name = "{0}")
    @MethodSource
    void errorAnswersEchoNothingOfTheRequest(String name, String request, int status) throws IOException {
        int expected = expectedStatus(name, status);
        try (RawHttp http = new RawHttp(expected == NO_ANSWER ? smallLimitsAddress() : address())) {
            http.send(request);
            if (expected == NO_ANSWER) {
                assertThat(http.closedByServer()).as(name + ": closed without an answer, so nothing echoed").isTrue();
                return;
            }
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).as(name).isEqualTo(expected);
            assertThat(reply.text()).as("the body").doesNotContainIgnoringCase(MARKER);
            assertThat(reply.headers().values()).as("the headers").noneMatch(v -> v.toLowerCase(Locale.ROOT).contains(MARKER));
            assertThat(reply.header("Content-Type")).startsWith("text/plain");
        }
    }

    static Stream<Arguments> errorAnswersEchoNothingOfTheRequest() {
        return Stream.of(
                Arguments.of("bad workload parameter", "GET /fib/" + MARKER + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 400),
                Arguments.of("unknown path", "GET /" + MARKER + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404),
                Arguments.of("wrong method", "DELETE /fib/" + MARKER + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 405),
                Arguments.of("unsupported version", "GET /" + MARKER + " HTTP/9.9\r\nHost: t\r\n\r\n", 505),
                Arguments.of("bad method", MARKER + "( / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
                Arguments.of("control character in a value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: " + MARKER + "\u0001\r\n\r\n", 400),
                Arguments.of("bad Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " + MARKER + "\r\n\r\n", 400),
                Arguments.of("unknown transfer coding", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + MARKER + ", chunked\r\n\r\n", 501),
                Arguments.of("unknown expectation", "POST / HTTP/1.1\r\nHost: t\r\nExpect: " + MARKER + "\r\nContent-Length: 1\r\n\r\nx", 417));
    }

    /** An application that throws, in any of its steps, costs one 500 with nothing of the exception in it. */
    @Test
    void anApplicationThatThrowsGets500WithNoDetailAndTheServerKeepsServing() throws Exception {
        try (RunningServer own = startOwn(config().limits(), new ThrowingApplication())) {
            for (String path : new String[] {"/throw/handle", "/throw/compute", "/throw/sleep"}) {
                RawHttp.Reply reply = RawHttp.get(loopback(own), path);
                assertThat(reply.status()).as(path).isEqualTo(500);
                assertThat(reply.text()).as(path).doesNotContain(ThrowingApplication.SECRET).doesNotContain("Exception")
                        .doesNotContain("\tat ").hasLineCount(1);
            }
            assertStillServing(loopback(own), "an application that threw");
        }
    }

    // ---- a request line that never ends ----------------------------------------------------------------

    /** The server refuses once the line passes its limit and closes: it does not read on without bound. */
    @Test
    void anEndlessRequestLineIsCutOff() throws Exception {
        RawHttp http = new RawHttp(smallLimitsAddress());
        http.send("GET /");
        try (Flood flood = Flood.start(http.socket(), "a".getBytes(StandardCharsets.US_ASCII), Flood.mebibytes(64))) {
            try {
                assertThat(http.read().status()).as("the answer, if it arrives before the reset").isEqualTo(414);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no answer and no close within 10 s", e);
            } catch (IOException resetFirst) {
                // A reset may overtake the 414 while the flood still writes: a clean close, which HTTP allows.
            }
            assertThat(flood.awaitEnd(Duration.ofSeconds(20))).as("the server closed the connection").isTrue();
            assertThat(flood.cutOffByServer()).as("the flood ended with a failed write").isTrue();
            assertThat(flood.written()).as("bytes the client could send before the server stopped reading").isLessThan(Flood.mebibytes(48));
        } finally {
            http.close();
        }
        assertStillServing(smallLimitsAddress(), "an endless request line");
    }

    // ---- shared checks -------------------------------------------------------------------------------------

    /** {@code request} gets {@code status} with a short text reason, then the server closes the connection. */
    static void assertRefused(InetSocketAddress address, String name, String request, int status) throws IOException {
        try (RawHttp http = new RawHttp(address)) {
            http.send(request);
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).as(name).isEqualTo(status);
            assertThat(reply.text()).as("a short reason, no stack trace").doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(reply.text().length()).as("a short reason").isLessThan(200);
            assertThat(http.closedByServer()).as("the connection is closed after a refusal").isTrue();
        }
    }
}
