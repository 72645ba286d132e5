package dev.serverlab.netty;

import dev.serverlab.api.app.*;
import dev.serverlab.api.http.*;
import dev.serverlab.api.server.*;
import io.netty.buffer.Unpooled;
import io.netty.channel.*;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.*;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import java.util.*;
import java.util.concurrent.*;
import java.util.function.Supplier;

/**
 * The model, in one handler: each request's steps run on the connection's event loop, and the answers go out
 * in request order. Only that loop touches the fields. Where it sits in the connection's pipeline:
 *
 * <pre>
 *   socket ─► IdleStateHandler ─► RequestDecoder ─► ExchangeHandler
 *   socket ◄──────────────────── HttpResponseEncoder ◄──┘
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
 * so costs no {@code epoll_ctl}. A request Netty or a check refused keeps its place in line; it gets a short
 * reason, and the connection closes. Deadlines: headerReadTimeout from a request's first byte to its head
 * (408); idleTimeout without a read while nothing is in flight (closed; 408 mid-body), or with answers the
 * client does not take (closed); requestDeadline for a wait (503 at once) or offloaded work (503 when it passes).
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter {

    /** The user event close() sends to every connection. */
    static final Object DRAIN = "drain";
    /** How long an idle connection may still deliver a request already sent when shutdown begins. */
    static final long DRAIN_GRACE_MILLIS = 50;

    private final HttpPipeline server;
    private final HttpPipeline.RequestDecoder decoder;
    private final long acceptedMicros;
    /** Requests received and refusals ({@link HttpException}), in arrival order, behind the one in flight. */
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    /** The head whose body is still arriving (idleTimeout bounds a pause), and the body so far. */
    private HttpRequest head;
    private byte[] body = Request.NO_BODY;
    private int bodySize;
    /** The request waiting for a timer or the pool, or null. */
    private Exchange inFlight;
    private ScheduledFuture<?> headerDeadline;
    /** Closing: nothing more is read or answered; inputShut: the client shut its output, what it sent is answered, then we close. */
    private boolean closing, inputShut;
    /** In a read, until channelReadComplete: answers written meanwhile wait for its one flush. */
    private boolean reading;

    ExchangeHandler(HttpPipeline server, HttpPipeline.RequestDecoder decoder, long acceptedMicros) {
        this.server = server;
        this.decoder = decoder;
        this.acceptedMicros = acceptedMicros;
    }

    /** Netty's decoder gives a head, then body parts up to a last one; a bodiless request is a head and an empty last. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        try {
            if (!closing && msg instanceof HttpRequest h) begin(ctx, h);
            if (!closing && msg instanceof HttpContent part && head != null) receive(ctx, part);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void begin(ChannelHandlerContext ctx, HttpRequest h) {
        if (headerDeadline != null) headerDeadline.cancel(false);
        headerDeadline = null;
        HttpException problem = HttpPipeline.check(h, server.limits);
        if (problem != null) {
            waiting.add(problem);
            serveWaiting(ctx);
            return;
        }
        head = h;
        // The body fits (check): ask for it.
        if (HttpUtil.is100ContinueExpected(h)) ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }

    /** A part of the body, joined up to maxBodyBytes; the last one completes the request (or a refusal ends it). */
    private void receive(ChannelHandlerContext ctx, HttpContent part) {
        int n = part.content().readableBytes();
        Object complete = part.decoderResult().isFailure() ? HttpPipeline.refusal(part.decoderResult())
                : bodySize + (long) n > server.limits.maxBodyBytes() ? new HttpException(413, "body too large") : null;
        if (complete == null) {
            if (bodySize + n > body.length) body = Arrays.copyOf(body, Math.max(bodySize + n, 2 * body.length));
            part.content().readBytes(body, bodySize, n);
            bodySize += n;
            if (!(part instanceof LastHttpContent)) return;
            complete = HttpPipeline.request(head, bodySize == body.length ? body : Arrays.copyOf(body, bodySize));
        }
        head = null;
        body = Request.NO_BODY;
        bodySize = 0;
        waiting.add(complete);
        serveWaiting(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        ctx.flush();    // pipelined answers leave in one write
        if (headerDeadline == null && inFlight == null && !closing && head == null && decoder.holdsPartialRequest()) {
            headerDeadline = ctx.executor().schedule(() -> refuse(ctx, new HttpException(408, "request headers took too long")),
                    server.limits.headerReadTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            // A request sent just before close() may still be in the kernel: give the loop a moment to read it.
            ctx.executor().schedule(() -> {
                if (inFlight == null && waiting.isEmpty() && headerDeadline == null && head == null) ctx.close();    // between requests
            }, DRAIN_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } else if (evt instanceof ChannelInputShutdownEvent) {
            inputShut = true;      // RFC 9112 §9.6: a client may half-close after its requests; they are still answered
            if (inFlight == null && waiting.isEmpty()) closeAfter(ctx, Unpooled.EMPTY_BUFFER);
        } else if (evt instanceof IdleStateEvent && !ctx.channel().isWritable()) {
            ctx.close();    // answers unread for a whole idleTimeout (we stopped reading when they piled up): cut off
        } else if (evt instanceof IdleStateEvent && inFlight == null && waiting.isEmpty()) {
            // A body that stopped arriving gets a 408, as on every engine; an idle connection or a stalled head just closes.
            if (head != null) refuse(ctx, new HttpException(408, "the request body stopped arriving"));
            else ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // A client that does not read its answers stops us serving its pipelined requests and reading more of
        // them. Served again from a task: this event can fire inside a flush of serveWaiting's own loop.
        if (ctx.channel().isWritable() && !waiting.isEmpty()) ctx.executor().execute(() -> serveWaiting(ctx));
        else updateReading(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (headerDeadline != null) headerDeadline.cancel(false);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();    // resets and broken pipes are the client's business
    }

    /**
     * Serves waiting requests in order until one has to wait, the client stops taking answers (the rest of a
     * read's requests then wait here, decoded, not as answers), or none is left.
     */
    private void serveWaiting(ChannelHandlerContext ctx) {
        Object next;
        while (inFlight == null && !closing && ctx.channel().isWritable() && (next = waiting.poll()) != null) {
            if (next instanceof HttpException problem) refuse(ctx, problem);
            else if (next instanceof Request request) {
                Exchange exchange = new Exchange(request, acceptedMicros);
                advance(ctx, exchange, step(exchange, () -> server.application.handle(request)));
            }
        }
        if (inFlight == null && !closing && inputShut && waiting.isEmpty()) closeAfter(ctx, Unpooled.EMPTY_BUFFER);    // nothing more will arrive to answer
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
                    if (Steps.exceedsDeadline(sleep, exchange, server.limits)) {
                        reply = Reply.of(Steps.DEADLINE_EXCEEDED);
                        continue;
                    }
                    inFlight = exchange;
                    updateReading(ctx);
                    ctx.executor().schedule(() -> resume(ctx, exchange, step(exchange, sleep.then())),
                            sleep.duration().toNanos(), TimeUnit.NANOSECONDS);
                    return;
                }
                case Reply.Compute compute when server.offload != null -> {
                    inFlight = exchange;
                    updateReading(ctx);
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
            if (inFlight == exchange) respond(ctx, exchange, Steps.DEADLINE_EXCEEDED, false);
        }, server.limits.requestDeadline().toNanos(), TimeUnit.NANOSECONDS);
        try {
            server.offload.execute(() -> {
                exchange.markStarted();
                Reply next = step(exchange, () -> compute.work().run(Safepoint.NONE));
                deadline.cancel(false);
                ctx.executor().execute(() -> resume(ctx, exchange, next));
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

    private void respond(ChannelHandlerContext ctx, Exchange exchange, Response response, boolean keepAlive) {
        inFlight = null;
        exchange.markFinished();
        server.accessLog.served(exchange.request(), response.status(), exchange);
        if (closing) return;    // the client left while we worked
        FullHttpResponse out = HttpPipeline.response(response, exchange, keepAlive, exchange.request().method().equals("HEAD"));
        if (!keepAlive) {
            closeAfter(ctx, out);
            return;
        }
        ctx.write(out, ctx.voidPromise());
        // Answered after a timer or the pool, or piled up past the high-water mark: out now, not at the read's end.
        if (!reading || !ctx.channel().isWritable()) ctx.flush();
    }

    /** A refused request: a short reason with Connection: close, and the connection ends once it is written. */
    private void refuse(ChannelHandlerContext ctx, HttpException problem) {
        if (closing) return;
        server.accessLog.refused(problem.status(), problem.getMessage());
        Response answer = Response.text(problem.status(), problem.getMessage() + "\n");
        closeAfter(ctx, HttpPipeline.response(answer, Timing.refusedNow(acceptedMicros), false, false));
    }

    private void closeAfter(ChannelHandlerContext ctx, Object last) {
        closing = true;
        head = null;
        waiting.clear();
        if (headerDeadline != null) headerDeadline.cancel(false);
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    /** Read while nothing waits and the client takes its answers. */
    private void updateReading(ChannelHandlerContext ctx) {
        boolean wanted = inFlight == null && !closing && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != wanted) ctx.channel().config().setAutoRead(wanted);
    }

    /** One step of the application; what it throws becomes the shared 500 answer. */
    private static Reply step(Exchange exchange, Supplier<Reply> step) {
        try {
            return step.get();
        } catch (RuntimeException | StackOverflowError e) {
            return Reply.of(ApplicationErrors.handle(exchange.request(), e));
        }
    }
}
