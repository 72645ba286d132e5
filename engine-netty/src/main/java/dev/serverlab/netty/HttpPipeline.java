package dev.serverlab.netty;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.*;
import dev.serverlab.api.http.*;
import dev.serverlab.api.server.AccessLog;
import io.netty.buffer.Unpooled;
import io.netty.channel.*;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.*;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.*;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.*;
import java.util.concurrent.*;

/**
 * Each connection's pipeline, as in Netty's HTTP server examples, and what all connections of a server share:
 * Netty decodes and frames; here are the checks its decoder leaves to the application, made on what it
 * decoded, and the translation between Netty's messages and the application's {@link Request} and {@link Response}.
 *
 * <pre>
 *   socket ─► IdleStateHandler   idleTimeout without a read ─► an event for the exchange
 *          ─► RequestDecoder     HttpRequestDecoder, limits from HttpDecoderConfig; one SP between words
 *          ─► ExchangeHandler    head (checked) + body parts ─► Request ─► the application, in order;
 *                                answers written during a read are flushed once, at its end
 *   socket ◄─ … ◄─ HttpResponseEncoder ◄─ FullHttpResponse
 * </pre>
 */
final class HttpPipeline extends ChannelInitializer<Channel> {

    /** Epoch microseconds at which the acceptor took the connection, before it waited for its loop. */
    static final AttributeKey<Long> ACCEPTED_AT = AttributeKey.valueOf("serverlab.acceptedAt");
    /** Answers are built by us from trusted values: Netty need not validate them, nor hash names each time. */
    private static final HttpHeadersFactory ANSWER_HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final AsciiString SERVER = AsciiString.cached("Server"), SERVER_NAME = AsciiString.cached(ResponseWriter.SERVER),
            DATE = AsciiString.cached("Date"), CONTENT_TYPE = AsciiString.cached("Content-Type"),
            CONTENT_LENGTH = AsciiString.cached("Content-Length"), CONNECTION = AsciiString.cached("Connection"),
            ACCEPTED = AsciiString.cached(Timing.ACCEPTED), STARTED = AsciiString.cached(Timing.STARTED),
            FINISHED = AsciiString.cached(Timing.FINISHED), SERVED_BY = AsciiString.cached(Timing.SERVED_BY),
            TEXT = AsciiString.cached(Response.TEXT);
    private static final LastAscii DATE_VALUE = new LastAscii();
    /** Each loop's label; answers computed on the pool bring theirs, converted each time the label changes. */
    private static final FastThreadLocal<LastAscii> WORKER = new FastThreadLocal<>() {
        @Override
        protected LastAscii initialValue() {
            return new LastAscii();
        }
    };

    final Application application;
    final Limits limits;
    final AccessLog accessLog;
    /** The pool CPU work runs on, or null to run it inline on the event loop. */
    final ExecutorService offload;
    /** Set once close() began: answers say Connection: close. */
    volatile boolean draining;

    HttpPipeline(Application application, Limits limits, AccessLog accessLog, ExecutorService offload) {
        this.application = application;
        this.limits = limits;
        this.accessLog = accessLog;
        this.offload = offload;
    }

    /** Builds the pipeline above; the warm-up and the tests add it to an {@code EmbeddedChannel} with an accept time. */
    @Override
    protected void initChannel(Channel ch) {
        RequestDecoder decoder = new RequestDecoder(limits);
        // Reads only: a writer timeout would put a listener on every write. Answers a client leaves unread stop our
        // reads (ExchangeHandler), so a reader timeout also finds a client that stopped reading.
        ch.pipeline().addLast(new IdleStateHandler(limits.idleTimeout().toNanos(), 0, 0, TimeUnit.NANOSECONDS),
                decoder, new HttpResponseEncoder(), new ExchangeHandler(this, decoder, ch.attr(ACCEPTED_AT).get()));
    }

    /** The answer to a request that failed to decode, from its cause; Netty's own message may quote the request. */
    static HttpException refusal(DecoderResult result) {
        return switch (result.cause()) {
            case TooLongHttpLineException e -> new HttpException(414, "request line too long");
            case TooLongHttpHeaderException e -> new HttpException(431, "header fields too large");
            default -> new HttpException(400, "malformed request");
        };
    }

    /** The contract's rules that Netty's decoder leaves to the application, checked on the decoded head. */
    static HttpException check(HttpRequest head, Limits limits) {
        if (!head.decoderResult().isSuccess()) return refusal(head.decoderResult());
        HttpVersion v = head.protocolVersion();
        if (v.majorVersion() != 1 || v.minorVersion() > 1) return new HttpException(505, "only HTTP/1.1 and HTTP/1.0 are supported");
        String target = head.uri();
        boolean form = target.startsWith("/") || target.equals("*") && head.method() == HttpMethod.OPTIONS
                || target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8);
        for (int i = 0; form && i < target.length(); i++) form = target.charAt(i) > ' ' && target.charAt(i) != 127;
        if (!form) return new HttpException(400, "malformed request target");
        HttpHeaders headers = head.headers();
        int bytes = 0, hosts = 0;    // Netty's maxHeaderSize leaves out line ends; the contract counts "name: value\r\n"
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            bytes += field.getKey().length() + field.getValue().length() + 4;
            if (HttpHeaderNames.HOST.contentEqualsIgnoreCase(field.getKey())) hosts++;
            // Netty refuses chunked twice or not last (RFC 9112 §6.3); a coding before chunked we cannot decode (§6.1).
            if (HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(field.getKey()) && field.getValue().toString().contains(",")) {
                return new HttpException(501, "only the chunked transfer coding is supported");
            }
        }
        if (bytes > limits.maxHeaderBytes() || headers.size() > limits.maxHeaderCount()) return new HttpException(431, "header fields too large");
        if (hosts > 1 || hosts == 0 && v.minorVersion() == 1) return new HttpException(400, "one Host header is required");
        String expect = headers.get(HttpHeaderNames.EXPECT);
        boolean body = HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
        if (expect != null && body && !expect.equalsIgnoreCase("100-continue")) {
            return new HttpException(417, "only Expect: 100-continue is supported");
        }
        if (HttpUtil.getContentLength(head, 0L) > limits.maxBodyBytes()) return new HttpException(413, "body too large");
        return null;
    }

    /** Netty's request as the application's. */
    static Request request(HttpRequest head, byte[] body) {
        List<Header> fields = new ArrayList<>(head.headers().size());
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = head.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = it.next();    // the decoder's names and values are Strings
            fields.add(new Header(field.getKey().toString(), field.getValue().toString()));
        }
        String target = head.uri();
        int slash = target.indexOf('/', target.indexOf("//") + 2);    // absolute form: the path after the authority
        String rest = target.startsWith("/") || target.equals("*") ? target : slash < 0 ? "/" : target.substring(slash);
        int q = rest.indexOf('?');
        return new Request(head.method().name(), target, q < 0 ? rest : rest.substring(0, q), q < 0 ? "" : rest.substring(q + 1),
                head.protocolVersion().text(), new Headers(fields), body);
    }

    /** The answer in the shared header order: Server, Date, Content-Type, Content-Length, Connection, timing, the application's. */
    static FullHttpResponse response(Response response, Timed timing, boolean keepAlive, boolean head) {
        var body = head || response.body().length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body());
        var status = HttpResponseStatus.valueOf(response.status(), Status.reason(response.status()));    // Netty's phrases differ (413)
        Digits digits = new Digits();
        CharSequence type = response.contentType() == Response.TEXT ? TEXT : response.contentType();
        CharSequence[] ours = {SERVER, SERVER_NAME, DATE, DATE_VALUE.of(HttpDate.now()), CONTENT_TYPE, type,
                CONTENT_LENGTH, digits.of(response.body().length), CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE,
                ACCEPTED, digits.of(timing.acceptedMicros()), STARTED, digits.of(timing.startedMicros()),
                FINISHED, digits.of(timing.finishedMicros()), SERVED_BY, WORKER.get().of(timing.servedBy())};
        CharSequence[] fields = new CharSequence[ours.length + 2 * response.headers().size()];
        int n = 0;
        for (int i = 0; i < ours.length; i += 2) {
            if (ours[i + 1] == null) continue;    // no Content-Type
            fields[n++] = ours[i];
            fields[n++] = ours[i + 1];
        }
        for (Header h : response.headers()) {
            fields[n++] = h.name();
            fields[n++] = h.value();
        }
        // Our values are trusted: no validation. A flat array is cheaper than a hash map; only a status whose
        // answer has no body needs a map Netty's encoder may change (it drops Content-Length there).
        HttpHeaders headers = new ReadOnlyHttpHeaders(false, n == fields.length ? fields : Arrays.copyOf(fields, n));
        if (status.codeClass() == HttpStatusClass.INFORMATIONAL || status.code() == 204 || status.code() == 205 || status.code() == 304) {
            headers = ANSWER_HEADERS.newHeaders().add(headers);
        }
        // A full answer has no trailers: the shared empty set, not a new one per answer.
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body, headers, EmptyHttpHeaders.INSTANCE);
    }

    /**
     * An answer's four numbers as ASCII digits, in one array with room for 20 digits each (a long has at most
     * 19): Netty's encoder copies an {@code AsciiString}'s bytes at once, where it writes a String char by char.
     */
    private static final class Digits {
        private final byte[] bytes = new byte[4 * 20];
        private int end;

        AsciiString of(long value) {
            int start = end += 20;
            do {
                bytes[--start] = (byte) ('0' + value % 10);
                value /= 10;
            } while (value > 0);
            return new AsciiString(bytes, start, end - start, false);
        }
    }

    /**
     * The last String given, as an {@code AsciiString}: converted again only when a different String comes. The
     * date is the same String for a second ({@link HttpDate}), a worker's label for a thread's life ({@link Timing}).
     * Threads may race on {@code last}: the loser converts once more, harmless, and the record is immutable.
     */
    static final class LastAscii {
        private record Ascii(String text, AsciiString bytes) {
        }

        private Ascii last = new Ascii("", AsciiString.EMPTY_STRING);

        AsciiString of(String text) {
            Ascii a = last;
            if (a.text != text) last = a = new Ascii(text, new AsciiString(text));
            return a.bytes;
        }
    }

    /**
     * Netty's decoder. RFC 9112 §3 lets it split the request line on any run of whitespace, and accept
     * {@code http/1.1}; through its protected hooks, which see each word where Netty found it in the line, we
     * hold the line to one SP between words and to {@code HTTP/} in capitals, as the shared codec does.
     */
    static final class RequestDecoder extends HttpRequestDecoder {
        private static final byte[] HTTP_SLASH = {'H', 'T', 'T', 'P', '/'};

        RequestDecoder(Limits limits) {
            super(new HttpDecoderConfig().setMaxInitialLineLength(limits.maxRequestLineBytes()).setMaxHeaderSize(limits.maxHeaderBytes())
                    // As the shared codec: equal repeated Content-Lengths, and bare LF line ends (RFC 9112 §2.2).
                    .setAllowDuplicateContentLengths(true).setStrictLineParsing(false));
        }

        @Override
        protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
            oneSpaceBefore(line, start);
            return super.splitSecondWordInitialLine(line, start, length);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] line, int start, int length) {
            oneSpaceBefore(line, start);
            if (!Arrays.equals(line, start, start + 5, HTTP_SLASH, 0, 5)) throw new IllegalArgumentException("malformed HTTP version");
            return super.splitThirdWordInitialLine(line, start, length);
        }

        private static void oneSpaceBefore(byte[] line, int start) {
            if (line[start - 1] != ' ' || line[start - 2] == ' ' || line[start - 2] == '\t') throw new IllegalArgumentException("one space between words");
        }

        /** Part of a request is buffered: the header deadline runs. */
        boolean holdsPartialRequest() {
            return internalBuffer().isReadable();
        }
    }
}
