package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Header;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.http.HttpException;
import dev.serverlab.api.http.RequestParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * First in each connection's pipeline, ahead of Vert.x's HTTP decoder: the project's shared parser reads
 * the client's bytes, so Vert.x serves exactly what every other engine serves and refuses what they refuse.
 *
 * <pre>
 *   client bytes ─► shared parser ─ complete request ─► a canonical copy (CRLF lines, Content-Length
 *                         │                              framing) ─► Vert.x's decoder ─► HttpVerticle
 *                         ├─ Expect: 100-continue accepted ─► "100 Continue" written back at once
 *                         └─ refused (400 … 505), or headers too slow (408)
 *                               ─► a request marked with the server's secret, answered in turn by
 *                                  HttpVerticle; then output is shut and input drained ≤ 500 ms
 * </pre>
 *
 * Vert.x's decoder (Netty's, with Vert.x's fixed settings) differs from the contract in places: it joins
 * folded header lines, refuses bare LF line ends, and has no header-read deadline. Handing it canonical
 * requests only removes every such difference. The screen also keeps the connection's deadlines: the head
 * within {@code headerReadTimeout}, no body pause past {@code idleTimeout}, and an idle keep-alive
 * connection (nothing half read, nothing being served) closes after {@code idleTimeout}.
 */
final class RequestScreen extends ChannelDuplexHandler {

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** How long a refused connection keeps reading (and dropping) before it closes, so the answer is not lost to a reset. */
    private static final long LINGER_MILLIS = 500;

    private final Screens screens;
    private final Limits limits;
    private final long acceptedMicros;
    private final RequestParser parser;
    private ChannelHandlerContext ctx;
    private boolean refused;
    private boolean lingering;
    /** Requests handed to Vert.x and not answered yet. */
    private int inFlight;
    private long lastReadNanos;
    private ScheduledFuture<?> headerDeadline;
    private ScheduledFuture<?> bodyDeadline;
    private ScheduledFuture<?> idleDeadline;

    RequestScreen(Screens screens, long acceptedMicros) {
        this.screens = screens;
        this.limits = screens.limits();
        this.acceptedMicros = acceptedMicros;
        this.parser = new RequestParser(limits);
    }

    /** When the connection was accepted, in epoch microseconds. */
    long acceptedMicros() {
        return acceptedMicros;
    }

    /** Called by the request handler, on this connection's event loop, once a response is written. */
    void responded() {
        if (ctx.executor().inEventLoop()) {
            inFlight--;
            armIdleIfIdle();
        } else {
            ctx.executor().execute(this::responded);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        armIdleIfIdle();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (refused) return;
            lastReadNanos = System.nanoTime();
            ByteBuffer view = bytes.nioBuffer();
            Request request;
            while (view.hasRemaining() && (request = parser.parse(view)) != null) {
                forward(ctx, canonical(ctx.alloc(), request));
            }
            if (parser.takeContinue()) ctx.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
        } catch (HttpException e) {
            refuse(ctx, e.status(), e.reason());
        } finally {
            bytes.release();
        }
        updateDeadlines(ctx);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!refused || lingering || !(ctx.channel() instanceof DuplexChannel duplex)) {
            cancelDeadlines();
            ctx.close(promise);
            return;
        }
        // A lingering close: the answer goes out, output is shut, and whatever the client still sends is
        // read and dropped for a moment. Closing with unread input would send a reset that can destroy the answer.
        lingering = true;
        ctx.channel().config().setAutoRead(true);
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (f.isSuccess()) duplex.shutdownOutput();
            ctx.executor().schedule(() -> ctx.close(promise), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelDeadlines();
        ctx.fireChannelInactive();
    }

    private void forward(ChannelHandlerContext ctx, ByteBuf request) {
        inFlight++;
        idleDeadline = cancel(idleDeadline);
        ctx.fireChannelRead(request);
    }

    /** Hands Vert.x a request marked with the secret; the verticle answers it with this status, in turn. */
    private void refuse(ChannelHandlerContext ctx, int status, String reason) {
        refused = true;
        cancelDeadlines();
        String head = "GET / HTTP/1.1\r\nHost: serverlab\r\nConnection: close\r\n"
                + Screens.REFUSAL_HEADER + ": " + screens.secret() + " " + status + " " + reason + "\r\n\r\n";
        forward(ctx, Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
    }

    /** The request as Vert.x should see it: one space between the request-line parts, CRLF, Content-Length framing. */
    static ByteBuf canonical(ByteBufAllocator alloc, Request request) {
        StringBuilder head = new StringBuilder(256);
        head.append(request.method()).append(' ').append(request.target()).append(' ').append(request.version()).append("\r\n");
        boolean framed = false;
        for (Header h : request.headers().fields()) {
            String name = h.name();
            if (name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")) {
                framed = true;
            } else if (!name.equalsIgnoreCase(Screens.REFUSAL_HEADER)) {
                head.append(name).append(": ").append(h.value()).append("\r\n");
            }
        }
        byte[] body = request.body();
        if (framed || body.length > 0) head.append("Content-Length: ").append(body.length).append("\r\n");
        head.append("\r\n");
        ByteBuf out = alloc.buffer(head.length() + body.length);
        out.writeCharSequence(head, StandardCharsets.ISO_8859_1);
        out.writeBytes(body);
        return out;
    }

    private void updateDeadlines(ChannelHandlerContext ctx) {
        if (refused) return;
        if (parser.readingHeaders()) {
            if (headerDeadline == null) headerDeadline = schedule(limits.headerReadTimeout(), this::headersExpired);
        } else {
            headerDeadline = cancel(headerDeadline);
        }
        if (parser.inProgress() && !parser.readingHeaders()) {
            if (bodyDeadline == null) bodyDeadline = schedule(limits.idleTimeout(), this::bodyExpired);
        } else {
            bodyDeadline = cancel(bodyDeadline);
        }
        if (parser.inProgress()) idleDeadline = cancel(idleDeadline);
        else armIdleIfIdle();
    }

    private void headersExpired() {
        headerDeadline = null;
        if (refused || !parser.readingHeaders()) return;
        if (!ctx.channel().config().isAutoRead()) {
            // Vert.x stopped reading while it served an earlier request: the client's time starts again.
            headerDeadline = schedule(limits.headerReadTimeout(), this::headersExpired);
            return;
        }
        refuse(ctx, 408, "request headers took too long");
    }

    private void bodyExpired() {
        bodyDeadline = null;
        if (refused || !parser.inProgress() || parser.readingHeaders()) return;
        long quiet = System.nanoTime() - lastReadNanos;
        long limit = limits.idleTimeout().toNanos();
        if (quiet < limit || !ctx.channel().config().isAutoRead()) {
            bodyDeadline = schedule(Duration.ofNanos(quiet < limit ? limit - quiet : limit), this::bodyExpired);
            return;
        }
        ctx.close();
    }

    private void armIdleIfIdle() {
        if (refused || inFlight > 0 || parser.inProgress() || idleDeadline != null || ctx == null) return;
        idleDeadline = schedule(limits.idleTimeout(), () -> {
            idleDeadline = null;
            if (!refused && inFlight == 0 && !parser.inProgress()) ctx.close();
        });
    }

    private ScheduledFuture<?> schedule(Duration after, Runnable task) {
        return ctx.executor().schedule(task, after.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static ScheduledFuture<?> cancel(ScheduledFuture<?> deadline) {
        if (deadline != null) deadline.cancel(false);
        return null;
    }

    private void cancelDeadlines() {
        headerDeadline = cancel(headerDeadline);
        bodyDeadline = cancel(bodyDeadline);
        idleDeadline = cancel(idleDeadline);
    }
}
