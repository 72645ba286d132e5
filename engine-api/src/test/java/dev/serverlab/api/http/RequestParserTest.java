package dev.serverlab.api.http;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestParserTest {

    private static final String CHUNKED_POST = "POST /up?x=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4\r\nWiki\r\n5;name=v\r\npedia\r\n0\r\nTrailer: t\r\n\r\n";

    private static final List<String> VALID = List.of(
            "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /fib/30?verbose=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
            CHUNKED_POST,
            "GET / HTTP/1.0\r\n\r\n",
            "GET http://example.com/fib/3 HTTP/1.1\r\nHost: example.com\r\n\r\n",
            "\r\nGET /after-empty-line HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /lf HTTP/1.1\nHost: h\n\n");

    @Test
    void parsesAWholeRequest() {
        Request r = parseAll(VALID.get(1), Integer.MAX_VALUE).get(0);
        assertThat(r.method()).isEqualTo("GET");
        assertThat(r.target()).isEqualTo("/fib/30?verbose=1");
        assertThat(r.path()).isEqualTo("/fib/30");
        assertThat(r.query()).isEqualTo("verbose=1");
        assertThat(r.version()).isEqualTo("HTTP/1.1");
        assertThat(r.headers().get("user-agent")).isEqualTo("curl/8");
        assertThat(r.headers().size()).isEqualTo(3);
        assertThat(r.body()).isEmpty();
        assertThat(r.keepAlive()).isTrue();
    }

    @Test
    void decodesChunkedBodiesAndDropsTrailers() {
        Request r = parseAll(CHUNKED_POST, Integer.MAX_VALUE).get(0);
        assertThat(new String(r.body(), StandardCharsets.US_ASCII)).isEqualTo("Wikipedia");
        assertThat(r.path()).isEqualTo("/up");
    }

    @Test
    void absoluteFormTargetsYieldTheirPath() {
        assertThat(parseAll(VALID.get(5), Integer.MAX_VALUE).get(0).path()).isEqualTo("/fib/3");
    }

    @Test
    void everyValidRequestParsesTheSameWhateverTheSplit() {
        for (String text : VALID) {
            Request whole = parseAll(text, Integer.MAX_VALUE).get(0);
            byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            for (int split = 1; split < bytes.length; split++) {
                RequestParser parser = new RequestParser(Limits.DEFAULTS);
                ByteBuffer first = ByteBuffer.wrap(bytes, 0, split);
                assertThat(parser.parse(first)).as("incomplete at %d of %s", split, text).isNull();
                Request r = parser.parse(ByteBuffer.wrap(bytes, split, bytes.length - split));
                assertSame(whole, r);
            }
            List<Request> oneByte = parseAll(text, 1);
            assertThat(oneByte).hasSize(1);
            assertSame(whole, oneByte.get(0));
        }
    }

    @Test
    void pipelinedRequestsComeOutOneAtATimeInOrder() {
        String text = String.join("", VALID);
        for (int chunk : new int[] {1, 3, 7, 64, Integer.MAX_VALUE}) {
            List<Request> requests = parseAll(text, chunk);
            assertThat(requests).extracting(Request::path).containsExactly(
                    "/", "/fib/30", "/", "/up", "/", "/fib/3", "/after-empty-line", "/lf");
        }
    }

    @Test
    void leavesThePipelinedRestInTheBuffer() {
        ByteBuffer in = ByteBuffer.wrap("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
        RequestParser parser = new RequestParser(Limits.DEFAULTS);
        assertThat(parser.parse(in).path()).isEqualTo("/a");
        assertThat(in.remaining()).isEqualTo("GET /b HTTP/1.1\r\n".length());
        assertThat(parser.parse(in)).isNull();
        assertThat(parser.inProgress()).isTrue();
    }

    @Test
    void expectContinueIsReportedOnceBeforeTheBody() {
        RequestParser parser = new RequestParser(Limits.DEFAULTS);
        ByteBuffer head = ByteBuffer.wrap("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(parser.parse(head)).isNull();
        assertThat(parser.takeContinue()).isTrue();
        assertThat(parser.takeContinue()).isFalse();
        assertThat(parser.parse(ByteBuffer.wrap("ok".getBytes(StandardCharsets.US_ASCII))).body()).hasSize(2);
    }

    @Test
    void limitsAreExactToTheByte() {
        Limits limits = Limits.DEFAULTS.withMaxRequestLineBytes(100).withMaxHeaderBytes(200).withMaxBodyBytes(10);
        String lineAtLimit = "GET /" + "a".repeat(100 - "GET / HTTP/1.1".length()) + " HTTP/1.1";
        assertThat(lineAtLimit).hasSize(100);
        assertThat(parse(limits, lineAtLimit + "\r\nHost: h\r\n\r\n")).isNotNull();
        assertStatus(limits, lineAtLimit.replace("GET /", "GET /a") + "\r\nHost: h\r\n\r\n", 414);

        // Header bytes count each line plus its CRLF: "Host: h\r\n" is 9, so a 191-byte second line fits exactly.
        String fill = "X: " + "v".repeat(191 - 2 - 3);
        assertThat(parse(limits, "GET / HTTP/1.1\r\nHost: h\r\n" + fill + "\r\n\r\n")).isNotNull();
        assertStatus(limits, "GET / HTTP/1.1\r\nHost: h\r\n" + fill + "v\r\n\r\n", 431);

        assertThat(parse(limits, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789")).isNotNull();
        assertStatus(limits, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 413);
        assertStatus(limits, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n", 413);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc",
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 003\r\n\r\nabc"})
    void agreeingContentLengthsAreAccepted(String text) {
        assertThat(parse(Limits.DEFAULTS, text).body()).hasSize(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
            "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /a\u0001b HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET foo HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
            ": no-name\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u0007b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u007Fb\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX A: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX\u0001A: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n"})
    void malformedRequestsAre400(String text) {
        assertStatus(Limits.DEFAULTS, text, 400);
    }

    @Test
    void aValueMayHoldTabsColonsAndObsText() {
        Request r = parse(Limits.DEFAULTS, "GET / HTTP/1.1\r\nHost: h:1\r\nX-A: \ta:\tb\u00e9 \r\n\r\n");
        assertThat(r.headers().get("Host")).isEqualTo("h:1");
        assertThat(r.headers().get("X-A")).isEqualTo("a:\tb\u00e9");
    }

    @Test
    void aRepeatedRequestSharesItsTargetAndFieldsButNeverAChangedOne() {
        RequestParser parser = new RequestParser(Limits.DEFAULTS);
        String first = "GET /a HTTP/1.1\r\nHost: h\r\nX-N: 1\r\n\r\n";
        Request one = parser.parse(ByteBuffer.wrap(first.getBytes(StandardCharsets.ISO_8859_1)));
        Request two = parser.parse(ByteBuffer.wrap(first.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(two.target()).isSameAs(one.target());
        assertThat(two.headers()).isSameAs(one.headers());
        assertThat(two).as("equal in every part: the same immutable request").isSameAs(one);
        Request three = parser.parse(ByteBuffer.wrap("GET /b HTTP/1.1\r\nHost: h\r\nX-N: 2\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(three.target()).isEqualTo("/b");
        assertThat(three.headers().get("X-N")).isEqualTo("2");
        assertThat(three.headers().fields().get(0)).isSameAs(one.headers().fields().get(0));
        Request four = parser.parse(ByteBuffer.wrap("GET /b HTTP/1.1\r\nhost: h\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(four.headers().fields()).extracting(f -> f.name()).containsExactly("host");
        assertThat(four).isNotSameAs(three);
        String post = "POST /b HTTP/1.1\r\nhost: h\r\nContent-Length: 1\r\n\r\nx";
        Request five = parser.parse(ByteBuffer.wrap(post.getBytes(StandardCharsets.ISO_8859_1)));
        Request six = parser.parse(ByteBuffer.wrap(post.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(six).as("a request with a body is never the previous one").isNotSameAs(five);
        assertThat(six.body()).isEqualTo(five.body()).isNotSameAs(five.body());
    }

    private static void assertStatus(Limits limits, String text, int status) {
        assertThatThrownBy(() -> parse(limits, text))
                .isInstanceOf(HttpException.class)
                .satisfies(e -> assertThat(((HttpException) e).status()).isEqualTo(status));
    }

    private static Request parse(Limits limits, String text) {
        return new RequestParser(limits).parse(ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** Feeds {@code text} in pieces of {@code chunk} bytes and collects every request that comes out. */
    static List<Request> parseAll(String text, int chunk) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        RequestParser parser = new RequestParser(Limits.DEFAULTS);
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += chunk) {
            ByteBuffer piece = ByteBuffer.wrap(bytes, i, Math.min(chunk, bytes.length - i));
            Request r;
            while ((r = parser.parse(piece)) != null) out.add(r);
            assertThat(piece.hasRemaining()).isFalse();
        }
        return out;
    }

    private static void assertSame(Request expected, Request actual) {
        assertThat(actual).isNotNull();
        assertThat(actual.method()).isEqualTo(expected.method());
        assertThat(actual.target()).isEqualTo(expected.target());
        assertThat(actual.version()).isEqualTo(expected.version());
        assertThat(actual.headers().fields()).isEqualTo(expected.headers().fields());
        assertThat(actual.body()).isEqualTo(expected.body());
    }
}
