package dev.serverlab.netty;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.HttpException;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.AccessLog;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.*;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Each connection's pipeline, as in Netty's HTTP server examples, and what all connections of a server share.
 * Netty decodes, frames and aggregates; we add the checks its decoder leaves to the application, made on
 * what it decoded, and mark a request that fails them the way Netty marks its own: a failed DecoderResult.
 *
 * <pre>
 *   socket ─► IdleStateHandler   idleTimeout without a read, or with a write stuck ─► an event for the exchange
 *          ─► RequestDecoder     HttpRequestDecoder, limits from HttpDecoderConfig; one SP between words
 *          ─► RequestAggregator  HttpObjectAggregator(maxBodyBytes), 100 Continue; check(head); 413
 *          ─► ExchangeHandler    runs the application, answers in order
 *   socket ◄─ HttpResponseEncoder ◄──────────────────────────────── FullHttpResponse
 * </pre>
 */
final class HttpPipeline extends ChannelInitializer<Channel> {

    /** Epoch microseconds at which the acceptor took the connection, before it waited for its loop. */
    static final AttributeKey<Long> ACCEPTED_AT = AttributeKey.valueOf("serverlab.acceptedAt");

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

    @Override
    protected void initChannel(Channel ch) {
        Long accepted = ch.attr(ACCEPTED_AT).get();
        configure(ch, accepted != null ? accepted : Timing.nowMicros());
    }

    /** Builds the pipeline above; the warm-up and the tests call it on an {@code EmbeddedChannel}. */
    void configure(Channel ch, long acceptedMicros) {
        long idle = limits.idleTimeout().toNanos();
        ExchangeHandler exchange = new ExchangeHandler(this, acceptedMicros);
        exchange.decoder = new RequestDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLineBytes()).setMaxHeaderSize(limits.maxHeaderBytes())
                // As the shared codec: equal repeated Content-Lengths, and bare LF line ends (RFC 9112 §2.2).
                .setAllowDuplicateContentLengths(true).setStrictLineParsing(false));
        // observeOutput: a slow reader that still drains our answers is making progress, not stuck.
        ch.pipeline().addLast(new IdleStateHandler(true, idle, idle, 0, TimeUnit.NANOSECONDS), exchange.decoder,
                new HttpResponseEncoder(), new RequestAggregator(limits, exchange), exchange);
    }

    /** The answer to a request that failed to decode, from its cause; Netty's own message may quote the request. */
    static HttpException refusal(DecoderResult result) {
        return switch (result.cause()) {
            case HttpException e -> e;
            case TooLongHttpLineException e -> new HttpException(414, "request line too long");
            case TooLongHttpHeaderException e -> new HttpException(431, "header fields too large");
            case TooLongHttpContentException e -> new HttpException(413, "body too large");
            default -> new HttpException(400, "malformed request");
        };
    }

    /** The contract's rules that Netty's decoder leaves to the application, checked on the decoded head. */
    static HttpException check(HttpRequest head, Limits limits) {
        HttpVersion v = head.protocolVersion();
        if (v.majorVersion() != 1 || v.minorVersion() > 1) return new HttpException(505, "only HTTP/1.1 and HTTP/1.0 are supported");
        String target = head.uri();
        boolean form = target.startsWith("/") || target.equals("*") && head.method() == HttpMethod.OPTIONS
                || target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8);
        if (!form || target.chars().anyMatch(c -> c <= ' ' || c == 127)) return new HttpException(400, "malformed request target");
        HttpHeaders headers = head.headers();
        int bytes = 0;    // Netty's maxHeaderSize leaves out line ends; the contract counts "name: value\r\n"
        for (var field : headers) bytes += field.getKey().length() + field.getValue().length() + 4;
        if (bytes > limits.maxHeaderBytes() || headers.size() > limits.maxHeaderCount()) return new HttpException(431, "header fields too large");
        int hosts = headers.getAll(HttpHeaderNames.HOST).size();
        if (hosts > 1 || hosts == 0 && v.minorVersion() == 1) return new HttpException(400, "one Host header is required");
        // Netty refuses chunked twice or not last (RFC 9112 §6.3); a coding before chunked we cannot decode (§6.1).
        if (headers.getAll(HttpHeaderNames.TRANSFER_ENCODING).stream().anyMatch(c -> c.contains(","))) {
            return new HttpException(501, "only the chunked transfer coding is supported");
        }
        String expect = headers.get(HttpHeaderNames.EXPECT);
        boolean body = HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
        if (expect != null && body && !expect.equalsIgnoreCase("100-continue")) return new HttpException(417, "only Expect: 100-continue is supported");
        return null;
    }

    /**
     * Netty's decoder. RFC 9112 §3 lets it split the request line on any run of whitespace, and accept
     * {@code http/1.1}; through its protected hooks, which see each word where Netty found it in the line, we
     * hold the line to one SP between words and to {@code HTTP/} in capitals, as the shared codec does.
     */
    static final class RequestDecoder extends HttpRequestDecoder {

        RequestDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
            oneSpaceBefore(line, start);
            return super.splitSecondWordInitialLine(line, start, length);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] line, int start, int length) {
            oneSpaceBefore(line, start);
            if (line[start] != 'H' || line[start + 1] != 'T' || line[start + 2] != 'T' || line[start + 3] != 'P') {
                throw new IllegalArgumentException("malformed HTTP version");
            }
            return super.splitThirdWordInitialLine(line, start, length);
        }

        private static void oneSpaceBefore(byte[] line, int start) {
            if (line[start - 1] != ' ' || line[start - 2] == ' ' || line[start - 2] == '\t') {
                throw new IllegalArgumentException("the words of a request line are separated by one space");
            }
        }

        /** Part of a request is buffered: the header deadline runs. */
        boolean holdsPartialRequest() {
            return internalBuffer().isReadable();
        }
    }

    /** Netty's aggregator, told our limits and checks: what it refuses goes on in line with a failed DecoderResult. */
    static final class RequestAggregator extends HttpObjectAggregator {

        private final Limits limits;
        private final ExchangeHandler exchange;

        RequestAggregator(Limits limits, ExchangeHandler exchange) {
            super((int) limits.maxBodyBytes());
            this.limits = limits;
            this.exchange = exchange;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest head) {
                exchange.headReceived();
                HttpException problem = head.decoderResult().isSuccess() ? check(head, limits) : null;
                if (problem != null) head.setDecoderResult(DecoderResult.failure(problem));
            }
            super.decode(ctx, msg, out);
        }

        /** 100 Continue only for a body within the limit; any other expectation is {@link #check}'s to refuse. */
        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            if (!HttpUtil.is100ContinueExpected(start) || HttpUtil.getContentLength(start, -1L) > maxContentLength) return null;
            return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER);
        }

        /** Instead of Netty's bare 413: the request goes on, marked, to be answered in its turn. */
        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            HttpRequest head = (HttpRequest) oversized;
            FullHttpRequest refused = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri());
            refused.setDecoderResult(DecoderResult.failure(new TooLongHttpContentException("body too large")));
            ctx.fireChannelRead(refused);
        }
    }
}
