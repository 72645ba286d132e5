package dev.serverlab.netty;

import dev.serverlab.api.http.HttpException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;

/**
 * Between the codec and the aggregator. {@link RequestScreen} has already refused what the contract
 * refuses; this handler covers the rest of the gap between Netty and the contract:
 *
 * <ul>
 *   <li>a message Netty could not decode (where Netty is stricter than the shared parser) becomes a
 *       {@link Refusal} with the status its cause calls for: 414, 431, else 400;</li>
 *   <li>{@code Expect} on a request without a body is dropped: the shared codec ignores it, while the
 *       aggregator would answer 417 by itself.</li>
 * </ul>
 */
final class RequestGuard extends ChannelInboundHandlerAdapter {

    private boolean refused;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused && msg instanceof io.netty.handler.codec.http.HttpObject) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest head) {
            DecoderResult result = head.decoderResult();
            if (result.isFailure()) {
                refuse(ctx, msg, statusFor(result.cause()));
                return;
            }
            if (!HttpUtil.isTransferEncodingChunked(head) && HttpUtil.getContentLength(head, 0L) == 0) {
                head.headers().remove(HttpHeaderNames.EXPECT);
            }
        } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
            refuse(ctx, msg, new HttpException(400, "malformed chunked body"));
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private void refuse(ChannelHandlerContext ctx, Object msg, HttpException problem) {
        ReferenceCountUtil.release(msg);
        refused = true;
        ctx.fireChannelRead(Refusal.of(problem));
    }

    static HttpException statusFor(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) return new HttpException(414, "request line too long");
        if (cause instanceof TooLongHttpHeaderException) return new HttpException(431, "header fields too large");
        return new HttpException(400, "malformed request");
    }
}
