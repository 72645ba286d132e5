package dev.serverlab.api.http;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.server.Exchange;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * How fast the shared parser turns bytes into a {@link Request}, and what it allocates doing so (run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} is bytes per request). Run it with {@code bench/jmh.sh}.
 *
 * <p>One parser serves a whole keep-alive connection, as in the engines, so its reusable state is not
 * counted per request; each call parses one complete request from a buffer that holds exactly it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestParserBenchmark {

    /** What curl sends: a request line and three fields. */
    static final String TYPICAL = "GET /fib/20 HTTP/1.1\r\nHost: 127.0.0.1:40404\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

    /** What wrk sends for {@code GET /}: the request the throughput benchmarks repeat. */
    static final String HELLO = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

    /** What a browser sends: twenty fields, cookies included. */
    static final String TWENTY_HEADERS = "GET /sleep/100?from=browser HTTP/1.1\r\n"
            + "Host: 127.0.0.1:40404\r\n"
            + "Connection: keep-alive\r\n"
            + "Cache-Control: max-age=0\r\n"
            + "sec-ch-ua: \"Chromium\";v=\"130\", \"Not?A_Brand\";v=\"99\"\r\n"
            + "sec-ch-ua-mobile: ?0\r\n"
            + "sec-ch-ua-platform: \"Linux\"\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
            + "Sec-Fetch-Site: none\r\n"
            + "Sec-Fetch-Mode: navigate\r\n"
            + "Sec-Fetch-User: ?1\r\n"
            + "Sec-Fetch-Dest: document\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Accept-Language: en-GB,en;q=0.9\r\n"
            + "Cookie: session=7f3a9c0e2b1d4e5f; theme=dark\r\n"
            + "DNT: 1\r\n"
            + "Pragma: no-cache\r\n"
            + "If-None-Match: \"5d8c72a5edda8\"\r\n"
            + "X-Request-Id: 0b8e5f1c-9a77-4c2e-8d1e-3f0a6b2c9d44\r\n"
            + "\r\n";

    private RequestParser parser;
    private ByteBuffer typical;
    private ByteBuffer twentyHeaders;
    private ByteBuffer hello;
    private final Application application = Application.experiment();
    /** One connection's output buffer, as engine-nio keeps one; emptied after each response, as a write would. */
    private final ResponseWriter writer = new ResponseWriter();
    /** The connection's one exchange, as engine-nio keeps one. */
    private Exchange exchange;

    @Setup
    public void setUp() {
        parser = new RequestParser(Limits.DEFAULTS);
        typical = ByteBuffer.wrap(TYPICAL.getBytes(StandardCharsets.ISO_8859_1));
        twentyHeaders = ByteBuffer.wrap(TWENTY_HEADERS.getBytes(StandardCharsets.ISO_8859_1));
        hello = ByteBuffer.wrap(HELLO.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Benchmark
    public Request typical() {
        typical.rewind();
        return parser.parse(typical);
    }

    @Benchmark
    public Request twentyHeaders() {
        twentyHeaders.rewind();
        return parser.parse(twentyHeaders);
    }

    /**
     * A whole {@code GET /} on a keep-alive connection as engine-nio serves it: parse, the application's
     * answer, the timing, and the response appended to the connection's reused output buffer.
     * {@code gc.alloc.rate.norm} is the hot path's bytes per request: 1,488 B when each response was
     * formatted into a new array, 80 B with a reused buffer (the {@link Request}, the {@link Exchange} and a
     * {@code Timing} per request), 0 B once a repeated request is the previous {@link Request} and the
     * connection's one {@link Exchange} is {@linkplain Exchange#reuse reused} and hands the writer its timing
     * (2026-12-01, Temurin 25).
     */
    @Benchmark
    public int helloExchange() {
        hello.rewind();
        Request request = parser.parse(hello);
        if (exchange == null) exchange = new Exchange(request, 1_764_566_567_000_000L);
        else exchange.reuse(request);
        Reply.Done done = (Reply.Done) application.handle(request);
        exchange.markFinished();
        writer.append(done.response(), exchange, request.keepAlive(), false);
        int pending = writer.pendingBytes();
        writer.clear();
        return pending;
    }

    /**
     * The same through {@link ResponseWriter#encode}: one exact array per response. No engine answers a request
     * this way any more (the thread engines append to their connection's reused writer, as {@link #helloExchange}
     * does, with an {@link Exchange} per request); a refusal still is ({@link ResponseWriter#error}).
     */
    @Benchmark
    public ByteBuffer helloExchangeEncoded() {
        hello.rewind();
        Request request = parser.parse(hello);
        Exchange exchange = new Exchange(request, 1_764_566_567_000_000L);
        exchange.markStarted();
        Reply.Done done = (Reply.Done) application.handle(request);
        exchange.markFinished();
        return ResponseWriter.encode(done.response(), exchange, request.keepAlive(), false);
    }
}
