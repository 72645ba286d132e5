package dev.serverlab.netty;

import dev.serverlab.api.Limits;
import dev.serverlab.api.http.HttpException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessageDecoderResult;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;

import java.util.List;

/**
 * Sits between the codec and the aggregator and holds every request to the rules of the shared codec
 * ({@code dev.serverlab.api.http.RequestParser}), so that a client sees the same statuses here as on the
 * hand-written engines:
 *
 * <pre>
 *   decoder failure   request line too long 414, headers too large 431, anything else 400
 *   version           not HTTP/1.0 or HTTP/1.1 (an HTTP/2 preface too)                  505
 *   headers           more than maxHeaderCount, or maxHeaderBytes counted with CRLFs      431
 *   target            not origin-form, "*" or absolute-form; controls or non-ASCII         400
 *   Host              missing on HTTP/1.1, or repeated                                     400
 *   framing           Content-Length with Transfer-Encoding, TE on HTTP/1.0                400
 *                     a transfer coding other than chunked                                 501
 *   body              Content-Length above maxBodyBytes, or a chunked body growing past it 413
 *   Expect            anything but 100-continue on a request with a body                   417
 * </pre>
 *
 * A refused request becomes a {@link Refusal} message that travels down the pipeline behind the requests
 * before it; everything after it is dropped. Netty's own aggregator then never has to answer 413 or 417
 * itself (its answers would lack our headers); it is left to aggregate and to send {@code 100 Continue}.
 */
final class RequestGuard extends ChannelInboundHandlerAdapter {

    private final Limits limits;
    private long bodyBytes;
    private boolean refused;

    RequestGuard(Limits limits) {
        this.limits = limits;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest head) {
            HttpException problem = check(head);
            if (problem != null) {
                refuse(ctx, msg, problem);
                return;
            }
            bodyBytes = 0;
            if (bodyFollows(head)) {
                ctx.fireUserEventTriggered(Signal.BODY_FOLLOWS);
            } else {
                // The shared codec ignores Expect on a request without a body; the aggregator would answer 417.
                head.headers().remove(HttpHeaderNames.EXPECT);
            }
            ctx.fireChannelRead(msg);
        } else if (msg instanceof HttpContent content) {
            DecoderResult result = content.decoderResult();
            if (result.isFailure()) {
                refuse(ctx, msg, chunkFailure(result.cause()));
                return;
            }
            bodyBytes += content.content().readableBytes();
            if (bodyBytes > limits.maxBodyBytes()) {
                refuse(ctx, msg, new HttpException(413, "body too large"));
                return;
            }
            ctx.fireChannelRead(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void refuse(ChannelHandlerContext ctx, Object msg, HttpException problem) {
        ReferenceCountUtil.release(msg);
        refused = true;
        ctx.fireChannelRead(Refusal.of(problem));
    }

    /** The first rule {@code head} breaks, or null when it may be served. */
    HttpException check(HttpRequest head) {
        DecoderResult result = head.decoderResult();
        if (result.isFailure()) return decoderFailure(head, result.cause());
        HttpException version = version(head.protocolVersion());
        if (version != null) return version;
        HttpHeaders headers = head.headers();
        if (headers.size() > limits.maxHeaderCount()) return new HttpException(431, "too many header fields");
        if (result instanceof HttpMessageDecoderResult sizes
                && sizes.headerSize() + 2L * headers.size() > limits.maxHeaderBytes()) {
            // Netty counts header bytes without line ends; the shared limit counts each CRLF too.
            return new HttpException(431, "header fields too large");
        }
        HttpException target = target(head.method().name(), head.uri());
        if (target != null) return target;
        return framing(headers, head.protocolVersion() == HttpVersion.HTTP_1_1);
    }

    /**
     * Netty stops at the first problem and marks the message failed. A placeholder message means the
     * request line itself failed; otherwise the version is known and checked first, as the shared codec does.
     */
    private HttpException decoderFailure(HttpRequest head, Throwable cause) {
        if (cause instanceof TooLongHttpLineException) return new HttpException(414, "request line too long");
        if (head instanceof FullHttpRequest) return new HttpException(400, "malformed request line");
        HttpException version = version(head.protocolVersion());
        if (version != null) return version;
        if (cause instanceof TooLongHttpHeaderException) return new HttpException(431, "header fields too large");
        if (isFramingFailure(cause)) {
            // The headers were complete when Netty refused the framing: apply our rules, which pick 400 or 501.
            HttpException framing = framing(head.headers(), head.protocolVersion() == HttpVersion.HTTP_1_1);
            if (framing != null) return framing;
        }
        return new HttpException(400, "malformed header field");
    }

    /** Netty's refusals of Content-Length / Transfer-Encoding combinations, all raised after the last header. */
    private static boolean isFramingFailure(Throwable cause) {
        String message = cause.getMessage();
        return cause instanceof io.netty.handler.codec.http.ContentLengthNotAllowedException
                || cause instanceof io.netty.handler.codec.http.TransferEncodingNotAllowedException
                || message != null && (message.contains("transfer coding") || message.contains("Transfer-Encoding")
                        || message.contains("Content-Length"));
    }

    private static HttpException version(HttpVersion version) {
        if (version.majorVersion() == 1 && (version.minorVersion() == 0 || version.minorVersion() == 1)) return null;
        return new HttpException(505, "only HTTP/1.1 and HTTP/1.0 are supported");
    }

    /** Origin-form, {@code *} for OPTIONS, or absolute-form; visible ASCII only. */
    private static HttpException target(String method, String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c >= 127) return new HttpException(400, "malformed request target");
        }
        boolean ok = uri.startsWith("/") || uri.equals("*") && method.equals("OPTIONS")
                || uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8);
        return ok ? null : new HttpException(400, "malformed request target");
    }

    /** Host and body framing, in the shared codec's order. */
    private HttpException framing(HttpHeaders headers, boolean http11) {
        int hosts = headers.getAll(HttpHeaderNames.HOST).size();
        if (hosts > 1) return new HttpException(400, "more than one Host header");
        if (http11 && hosts == 0) return new HttpException(400, "missing Host header");
        List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        boolean hasLength = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        if (!codings.isEmpty()) {
            if (hasLength) return new HttpException(400, "both Content-Length and Transfer-Encoding");
            if (!http11) return new HttpException(400, "Transfer-Encoding in an HTTP/1.0 request");
            if (!String.join(",", codings).trim().equalsIgnoreCase("chunked")) {
                return new HttpException(501, "only the chunked transfer coding is supported");
            }
            return expectation(headers);
        }
        long length = contentLength(headers);
        if (length < 0) return new HttpException(400, "malformed Content-Length");
        if (length > limits.maxBodyBytes()) return new HttpException(413, "body too large");
        return length > 0 ? expectation(headers) : null;
    }

    private static HttpException expectation(HttpHeaders headers) {
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && !expect.equalsIgnoreCase("100-continue")) {
            return new HttpException(417, "only Expect: 100-continue is supported");
        }
        return null;
    }

    /** The Content-Length (Netty has already merged equal repeats), 0 when absent, -1 when malformed. */
    private static long contentLength(HttpHeaders headers) {
        String value = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (value == null) return 0;
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean bodyFollows(HttpRequest head) {
        return head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING) || contentLength(head.headers()) > 0;
    }

    /** A chunk that does not parse; a chunk size past what an int holds is a body too large, as in the shared codec. */
    private static HttpException chunkFailure(Throwable cause) {
        String message = cause.getMessage();
        if (message != null && message.startsWith("Chunk size overflow")) return new HttpException(413, "body too large");
        return new HttpException(400, "malformed chunked body");
    }
}
