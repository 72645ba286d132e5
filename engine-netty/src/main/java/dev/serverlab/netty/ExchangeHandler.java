package dev.serverlab.netty;

import dev.serverlab.api.app.*;
import dev.serverlab.api.http.HttpDate;
import dev.serverlab.api.http.HttpException;
import dev.serverlab.api.http.ResponseWriter;
import dev.serverlab.api.http.Status;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.ApplicationErrors;
import dev.serverlab.api.server.Exchange;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.*;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The model, in one handler: each request's steps run on the connection's event loop, and the answers go out
 * in request order. Only that loop touches the fields. Where it sits in the connection's pipeline:
 *
 * <pre>
 *   socket ─► IdleStateHandler ─► RequestDecoder ─► RequestAggregator ─► ExchangeHandler
 *   socket ◄─ HttpResponseEncoder ◄──────────────────────────────────────────┘
 *
 *   request ─► waiting ─► handle ─┬─ Done ──────────────────────────────► answer (flushed at readComplete)
 *   (in order)                    ├─ Compute, inline: the loop computes ─► and every connection on it waits
 *                                 ├─ Compute, --offload N: a pool thread computes ─┐  WAITING: no reads;
 *                                 └─ Sleep: a timer on the loop (schedule) ────────┤  the requests behind
 *                                      answer, then the next waiting request ◄─────┘  wait in line
 * </pre>
 *
 * Reading stops ({@code autoRead} off) only while a request waits for a timer or the pool, or while the
 * client does not read its answers: a request answered inline changes nothing in the socket's interest set,
 * so costs no {@code epoll_ctl}. A request Netty or a check refused comes in its turn with a failed
 * {@code DecoderResult}; it gets a short reason, and the connection closes. Deadlines: headerReadTimeout from
 * a request's first byte to its head (408); idleTimeout without a read while nothing is in flight, or with an
 * answer stuck unread (closed); requestDeadline for a wait (503 at once) or offloaded work (503 when it passes).
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter {

    /** The user event close() sends to every connection. */
    static final Object DRAIN = "drain";
    /** How long an idle connection may still deliver a request already sent when shutdown begins. */
    static final long DRAIN_GRACE_MILLIS = 50;

    private final HttpPipeline server;
    private final long acceptedMicros;
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    HttpPipeline.RequestDecoder decoder;
    /** The request waiting for a timer or the pool, or null. */
    private Exchange inFlight;
    private ScheduledFuture<?> headerDeadline;
    /** A head arrived and its body is still coming: no header deadline, idleTimeout bounds a pause. */
    private boolean readingBody;
    private boolean closing;
    private boolean inRead;
    private boolean needsFlush;
    /** The client shut its output: what it sent is answered, then the connection closes. */
    private boolean inputShut;

    ExchangeHandler(HttpPipeline server, long acceptedMicros) {
        this.server = server;
        this.acceptedMicros = acceptedMicros;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inRead = true;
        if (closing || !(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        readingBody = false;
        waiting.add(request);
        serveWaiting(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        if (needsFlush) {
            needsFlush = false;
            ctx.flush();
        }
        if (headerDeadline == null && inFlight == null && !closing && !readingBody && decoder.holdsPartialRequest()) {
            headerDeadline = ctx.executor().schedule(() -> refuse(ctx, new HttpException(408, "request headers took too long")),
                    server.limits.headerReadTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** The aggregator saw a request's head: the header deadline is met. */
    void headReceived() {
        readingBody = true;
        cancelHeaderDeadline();
    }

    private void cancelHeaderDeadline() {
        if (headerDeadline != null) headerDeadline.cancel(false);
        headerDeadline = null;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            // A request sent just before close() may still be in the kernel: give the loop a moment to read it.
            ctx.executor().schedule(() -> { if (idle()) ctx.close(); }, DRAIN_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } else if (evt instanceof ChannelInputShutdownEvent) {
            inputShut = true;      // RFC 9112 §9.6: a client may half-close after its requests; they are still answered
            if (inFlight == null && waiting.isEmpty()) finish(ctx);
        } else if (evt instanceof IdleStateEvent e && e.state() == IdleState.READER_IDLE) {
            if (inFlight != null || !waiting.isEmpty()) return;
            // A body that stopped arriving gets a 408, as on every engine; an idle connection or a stalled head just closes.
            if (readingBody) refuse(ctx, new HttpException(408, "the request body stopped arriving"));
            else ctx.close();
        } else if (evt instanceof IdleStateEvent e && e.state() == IdleState.WRITER_IDLE) {
            var pending = ctx.channel().unsafe().outboundBuffer();
            if (pending != null && pending.totalPendingWriteBytes() > 0) ctx.close();    // the client stopped reading
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateReading(ctx);    // a client that does not read its answers stops us reading its requests
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        cancelHeaderDeadline();
        waiting.forEach(FullHttpRequest::release);
        waiting.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();    // resets and broken pipes are the client's business
    }

    /** Serves waiting requests in order until one has to wait, or none is left. */
    private void serveWaiting(ChannelHandlerContext ctx) {
        FullHttpRequest msg;
        while (inFlight == null && !closing && (msg = waiting.poll()) != null) {
            try {
                if (msg.decoderResult().isFailure()) {
                    refuse(ctx, HttpPipeline.refusal(msg.decoderResult()));
                } else {
                    Request request = request(msg);
                    Exchange exchange = new Exchange(request, acceptedMicros);
                    advance(ctx, exchange, step(exchange, () -> server.application.handle(request)));
                }
            } finally {
                msg.release();
            }
        }
        if (inFlight == null && !closing && inputShut) finish(ctx);
        else updateReading(ctx);
    }

    /** Runs the steps on the loop until one has to wait (a timer, the pool) or the answer is ready. */
    private void advance(ChannelHandlerContext ctx, Exchange exchange, Reply reply) {
        while (true) {
            switch (reply) {
                case Reply.Done done -> {
                    respond(ctx, exchange, done.response(), exchange.request().keepAlive() && !server.draining);
                    return;
                }
                case Reply.Sleep sleep -> {
                    exchange.markStarted();
                    if (sleep.duration().toNanos() > exchange.nanosLeft(server.limits.requestDeadline())) {
                        reply = Reply.of(Response.text(503, "the wait would pass the request deadline\n"));
                        continue;
                    }
                    await(ctx, exchange);
                    ctx.executor().schedule(() -> resume(ctx, exchange, step(exchange, sleep.then())),
                            sleep.duration().toNanos(), TimeUnit.NANOSECONDS);
                    return;
                }
                case Reply.Compute compute when server.offload != null -> {
                    await(ctx, exchange);
                    offload(ctx, exchange, compute);
                    return;
                }
                case Reply.Compute compute -> {
                    exchange.markStarted();
                    reply = step(exchange, () -> compute.work().run(Safepoint.NONE));
                }
            }
        }
    }

    /** CPU work on the pool; its result comes back to this connection's loop as a task. */
    private void offload(ChannelHandlerContext ctx, Exchange exchange, Reply.Compute compute) {
        // Work on the pool cannot be cut short: past the deadline the client gets 503 and the result is dropped.
        ScheduledFuture<?> deadline = ctx.executor().schedule(() -> {
            if (inFlight == exchange) respond(ctx, exchange, Response.text(503, "the request took longer than its deadline\n"), false);
        }, server.limits.requestDeadline().toNanos(), TimeUnit.NANOSECONDS);
        try {
            server.offload.execute(() -> {
                exchange.markStarted();
                Reply next = step(exchange, () -> compute.work().run(Safepoint.NONE));
                ctx.executor().execute(() -> {
                    deadline.cancel(false);
                    resume(ctx, exchange, next);
                });
            });
        } catch (RejectedExecutionException e) {
            resume(ctx, exchange, Reply.of(Response.text(503, "server is shutting down\n")));
        }
    }

    /** Back on the loop after a timer or the pool: finish this request, then serve the ones behind it. */
    private void resume(ChannelHandlerContext ctx, Exchange exchange, Reply reply) {
        if (inFlight != exchange) return;     // answered already (the deadline), or the connection is gone
        inFlight = null;
        advance(ctx, exchange, reply);
        serveWaiting(ctx);
    }

    private void await(ChannelHandlerContext ctx, Exchange exchange) {
        inFlight = exchange;
        updateReading(ctx);
    }

    private void respond(ChannelHandlerContext ctx, Exchange exchange, Response response, boolean keepAlive) {
        inFlight = null;
        Timing timing = exchange.finish();
        server.accessLog.served(exchange.request(), response.status(), timing);
        if (closing) return;    // the client left while we worked
        FullHttpResponse out = response(response, timing, keepAlive, exchange.request().method().equals("HEAD"));
        if (!keepAlive) {
            closeAfter(ctx, out);
        } else if (inRead) {
            ctx.write(out, ctx.voidPromise());    // flushed in channelReadComplete: pipelined answers leave in one write
            needsFlush = true;
        } else {
            ctx.writeAndFlush(out, ctx.voidPromise());
        }
    }

    /** A refused request: a short reason with Connection: close, and the connection ends once it is written. */
    private void refuse(ChannelHandlerContext ctx, HttpException problem) {
        if (closing) return;
        server.accessLog.refused(problem.status(), problem.getMessage());
        cancelHeaderDeadline();
        closeAfter(ctx, response(Response.text(problem.status(), problem.getMessage() + "\n"), Timing.refusedNow(acceptedMicros), false, false));
    }

    private void closeAfter(ChannelHandlerContext ctx, Object last) {
        closing = true;
        waiting.forEach(FullHttpRequest::release);
        waiting.clear();
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    /** Closes once everything written so far has gone out: nothing more will arrive to answer. */
    private void finish(ChannelHandlerContext ctx) {
        closeAfter(ctx, Unpooled.EMPTY_BUFFER);
    }

    /** Read while nothing waits and the client takes its answers. */
    private void updateReading(ChannelHandlerContext ctx) {
        boolean wanted = inFlight == null && !closing && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != wanted) ctx.channel().config().setAutoRead(wanted);
    }

    /** Between requests: nothing in flight, waiting, or half received. */
    private boolean idle() {
        return inFlight == null && waiting.isEmpty() && headerDeadline == null && !readingBody;
    }

    /** One step of the application; what it throws becomes the shared 500 answer. */
    private static Reply step(Exchange exchange, Supplier<Reply> step) {
        try {
            return step.get();
        } catch (RuntimeException | StackOverflowError e) {
            return Reply.of(ApplicationErrors.handle(exchange.request(), e));
        }
    }

    /** Netty's request as the application's. */
    static Request request(FullHttpRequest msg) {
        List<Header> fields = new ArrayList<>(msg.headers().size());
        msg.headers().forEach(e -> fields.add(new Header(e.getKey(), e.getValue())));
        byte[] body = msg.content().isReadable() ? ByteBufUtil.getBytes(msg.content()) : Request.NO_BODY;
        String target = msg.uri();
        int slash = target.indexOf('/', target.indexOf("//") + 2);    // absolute form: the path after the authority
        String rest = target.startsWith("/") || target.equals("*") ? target : slash < 0 ? "/" : target.substring(slash);
        int q = rest.indexOf('?');
        return new Request(msg.method().name(), target, q < 0 ? rest : rest.substring(0, q), q < 0 ? "" : rest.substring(q + 1),
                msg.protocolVersion().text(), new Headers(fields), body);
    }

    /** The answer in the shared header order: Server, Date, Content-Type, Content-Length, Connection, timing, the application's. */
    static FullHttpResponse response(Response response, Timing timing, boolean keepAlive, boolean head) {
        var body = head || response.body().length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body());
        var status = HttpResponseStatus.valueOf(response.status(), Status.reason(response.status()));    // Netty's phrases differ (413)
        FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body, false);
        out.headers().add("Server", ResponseWriter.SERVER).add("Date", HttpDate.now());
        if (response.contentType() != null) out.headers().add("Content-Type", response.contentType());
        out.headers().add("Content-Length", response.body().length).add("Connection", keepAlive ? "keep-alive" : "close")
                .add(Timing.ACCEPTED, timing.acceptedMicros()).add(Timing.STARTED, timing.startedMicros())
                .add(Timing.FINISHED, timing.finishedMicros()).add(Timing.SERVED_BY, timing.servedBy());
        response.headers().forEach(h -> out.headers().add(h.name(), h.value()));
        return out;
    }
}
