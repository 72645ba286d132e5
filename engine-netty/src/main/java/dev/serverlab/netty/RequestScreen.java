package dev.serverlab.netty;

import dev.serverlab.api.Limits;
import dev.serverlab.api.http.HttpException;
import dev.serverlab.api.http.RequestParser;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The first handler: it reads the bytes Netty's codec is about to decode with the project's shared parser
 * ({@link RequestParser}), and holds every request to the same contract as the hand-written engines.
 *
 * <p>Netty's {@code HttpServerCodec} is more lenient than that contract in a few places (it joins folded
 * header lines, skips control bytes before a request line when bare LF line ends are allowed, accepts
 * {@code Content-Length: +3}). Rather than re-implement those rules, the screen asks the shared parser, which
 * knows where each request starts:
 *
 * <pre>
 *   bytes ─► shared parser ──ok──► forwarded to HttpServerCodec as they are
 *                          └─refused─► the complete requests before it are forwarded, then a Refusal
 *                                      (400, 413, 414, 417, 431, 501, 505) follows them down the
 *                                      pipeline; everything after is dropped
 * </pre>
 *
 * It also keeps the read deadlines, because it knows whether a request's head or body is half read:
 * the head must be complete within {@code headerReadTimeout} (else 408), and a body may not pause longer
 * than {@code idleTimeout} (else the connection closes). While the server is busy and not reading, the
 * client is not blamed: a deadline that passes then starts again.
 */
final class RequestScreen extends ChannelInboundHandlerAdapter {

    private final Limits limits;
    private final RequestParser parser;
    private boolean refused;
    private ScheduledFuture<?> headerDeadline;
    private ScheduledFuture<?> bodyDeadline;
    private long lastReadNanos;

    RequestScreen(Limits limits) {
        this.limits = limits;
        this.parser = new RequestParser(limits);
    }

    /** True while part of a request has arrived: the connection is not idle. */
    boolean inProgress() {
        return parser.inProgress() && !refused;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (refused) {
            bytes.release();
            return;
        }
        lastReadNanos = ctx.executor().ticker().nanoTime();
        ByteBuffer view = bytes.nioBuffer();
        int currentStart = 0;   // where, in this read, the request still being parsed began
        try {
            while (view.hasRemaining() && parser.parse(view) != null) {
                currentStart = view.position();
            }
            parser.takeContinue();   // Netty's aggregator sends 100 Continue
        } catch (HttpException e) {
            if (currentStart > 0) ctx.fireChannelRead(bytes.retainedSlice(bytes.readerIndex(), currentStart));
            bytes.release();
            refuse(ctx, Refusal.of(e));
            return;
        }
        ctx.fireChannelRead(bytes);
        updateDeadlines(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadlines();
        ctx.fireChannelInactive();
    }

    private void refuse(ChannelHandlerContext ctx, Refusal refusal) {
        refused = true;
        cancelDeadlines();
        ctx.fireChannelRead(refusal);
    }

    private void updateDeadlines(ChannelHandlerContext ctx) {
        if (parser.readingHeaders()) {
            if (headerDeadline == null) headerDeadline = schedule(ctx, limits.headerReadTimeout(), () -> headersExpired(ctx));
        } else {
            headerDeadline = cancel(headerDeadline);
        }
        if (parser.inProgress() && !parser.readingHeaders()) {
            if (bodyDeadline == null) bodyDeadline = schedule(ctx, limits.idleTimeout(), () -> bodyExpired(ctx));
        } else {
            bodyDeadline = cancel(bodyDeadline);
        }
    }

    private void headersExpired(ChannelHandlerContext ctx) {
        headerDeadline = null;
        if (refused || !parser.readingHeaders()) return;
        if (!ctx.channel().config().isAutoRead()) {
            // We stopped reading while busy with an earlier request: the client's time starts again.
            headerDeadline = schedule(ctx, limits.headerReadTimeout(), () -> headersExpired(ctx));
            return;
        }
        refuse(ctx, new Refusal(408, "request headers took too long"));
    }

    private void bodyExpired(ChannelHandlerContext ctx) {
        bodyDeadline = null;
        if (refused || !parser.inProgress() || parser.readingHeaders()) return;
        long quiet = ctx.executor().ticker().nanoTime() - lastReadNanos;
        long limit = limits.idleTimeout().toNanos();
        if (quiet < limit || !ctx.channel().config().isAutoRead()) {
            bodyDeadline = schedule(ctx, Duration.ofNanos(quiet < limit ? limit - quiet : limit), () -> bodyExpired(ctx));
            return;
        }
        ctx.close();
    }

    private static ScheduledFuture<?> schedule(ChannelHandlerContext ctx, Duration after, Runnable task) {
        return ctx.executor().schedule(task, after.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static ScheduledFuture<?> cancel(ScheduledFuture<?> deadline) {
        if (deadline != null) deadline.cancel(false);
        return null;
    }

    private void cancelDeadlines() {
        headerDeadline = cancel(headerDeadline);
        bodyDeadline = cancel(bodyDeadline);
    }
}
