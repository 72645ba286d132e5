package dev.serverlab.netty;

import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.app.Safepoint;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.ApplicationErrors;
import dev.serverlab.api.server.Exchange;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The last handler of a connection: it runs the application's steps on the channel's event loop and
 * writes the responses in request order. Only the event loop touches its fields.
 *
 * <pre>
 *           a complete request (FullHttpRequest)
 *   IDLE ───────────────────────────────────────► BUSY ── response, keep-alive ──► next waiting, or IDLE
 *    │ idleTimeout with nothing half-read: close    │
 *    │                                               └─ Connection: close, or draining ──► CLOSING
 *    └── a Refusal (in its turn) ── answer, shut output, linger ≤ 500 ms ──────────────────► CLOSING
 * </pre>
 *
 * While BUSY the channel stops reading ({@code autoRead} off): pipelined requests already decoded wait in
 * {@link #waiting}, and the kernel's buffers hold the rest. A Sleep is a timer on the loop; Compute runs
 * inline (and every connection on this loop waits), or on the offload pool, whose result comes back to the
 * loop as a task.
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ExchangeHandler.class);

    /** How long a refused connection goes on reading (and dropping) before it closes, so the answer is not lost to a reset. */
    static final long LINGER_MILLIS = 500;

    /** How long an idle connection may still deliver a request already sent when shutdown begins. */
    static final long DRAIN_GRACE_MILLIS = 50;

    private enum Phase { IDLE, BUSY, CLOSING }

    private final ServerContext server;
    private final RequestScreen screen;
    private final long acceptedMicros;
    /** Complete requests and refusals in arrival order, waiting for the one in flight. */
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private Phase phase = Phase.IDLE;
    private ScheduledFuture<?> idleDeadline;
    private boolean inRead;
    private boolean needsFlush;

    ExchangeHandler(ServerContext server, RequestScreen screen, long acceptedMicros) {
        this.server = server;
        this.screen = screen;
        this.acceptedMicros = acceptedMicros;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        becomeIdle(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inRead = true;
        if (phase == Phase.CLOSING || !(msg instanceof FullHttpRequest || msg instanceof Refusal)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        waiting.add(msg);
        if (phase != Phase.BUSY) next(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        if (needsFlush) {
            needsFlush = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Signal.DRAIN) {
            // Between requests nothing is lost by closing; a request in progress ends with Connection: close.
            // A request the client sent just now may still be in the kernel: give the loop a moment to read it.
            if (phase == Phase.IDLE) {
                ctx.executor().schedule(() -> {
                    if (phase == Phase.IDLE && !screen.inProgress()) close(ctx);
                }, DRAIN_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // A client that does not read its responses stops us reading its requests.
        if (phase == Phase.IDLE) ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.CLOSING;
        cancelIdleDeadline();
        releaseWaiting();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets, broken pipes and decoder overflows are the client's business: note them quietly and close.
        log.debug("closing connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** Starts the next waiting request or refusal, or goes idle. */
    private void next(ChannelHandlerContext ctx) {
        Object item = waiting.poll();
        if (item == null) {
            becomeIdle(ctx);
            return;
        }
        if (item instanceof Refusal refusal) {
            refuse(ctx, refusal);
            return;
        }
        FullHttpRequest msg = (FullHttpRequest) item;
        Request request;
        try {
            request = Messages.request(msg);
        } finally {
            msg.release();
        }
        phase = Phase.BUSY;
        cancelIdleDeadline();
        ctx.channel().config().setAutoRead(false);
        Job job = new Job(request, new Exchange(request, acceptedMicros));
        Reply first;
        try {
            first = server.application().handle(request);
        } catch (RuntimeException | Error e) {
            first = job.failed(e);
        }
        advance(ctx, job, first);
    }

    /** Runs the reply's steps on the event loop until one has to wait (a timer, the offload pool) or is done. */
    private void advance(ChannelHandlerContext ctx, Job job, Reply reply) {
        while (true) {
            switch (reply) {
                case Reply.Done done -> {
                    respond(ctx, job, done.response());
                    return;
                }
                case Reply.Sleep sleep -> {
                    job.start();
                    armDeadline(ctx, job);
                    ctx.executor().schedule(() -> advance(ctx, job, job.wake(sleep)), sleep.duration().toNanos(), TimeUnit.NANOSECONDS);
                    return;
                }
                case Reply.Compute compute -> {
                    ExecutorService pool = server.offload();
                    if (pool != null) {
                        armDeadline(ctx, job);
                        offload(ctx, pool, job, compute);
                        return;
                    }
                    job.start();
                    reply = job.compute(compute);
                }
            }
        }
    }

    /** Runs the CPU step on the pool; its result returns to this channel's event loop as a task. */
    private void offload(ChannelHandlerContext ctx, ExecutorService pool, Job job, Reply.Compute compute) {
        try {
            pool.execute(() -> {
                job.start();
                Reply next = job.compute(compute);
                try {
                    ctx.executor().execute(() -> advance(ctx, job, next));
                } catch (RejectedExecutionException e) {
                    // The loop shut down while we computed: the connection is gone.
                }
            });
        } catch (RejectedExecutionException e) {
            advance(ctx, job, Reply.of(Response.text(503, "server is shutting down\n")));
        }
    }

    /**
     * A request whose work waits (a timer, the pool) must answer within {@code requestDeadline}, or it gets
     * 503 and the connection closes; a result that comes later is dropped. Inline CPU work cannot be cut short.
     */
    private void armDeadline(ChannelHandlerContext ctx, Job job) {
        if (job.deadline != null) return;
        job.deadline = ctx.executor().schedule(() -> {
            if (job.answered || phase == Phase.CLOSING) return;
            job.answered = true;
            server.accessLog().refused(503, "deadline missed by " + job.request.path());
            phase = Phase.CLOSING;
            releaseWaiting();
            Response late = Response.text(503, "the request took longer than its deadline\n");
            ctx.writeAndFlush(Messages.response(late, Timing.refusedNow(acceptedMicros), false, false))
                    .addListener(ChannelFutureListener.CLOSE);
        }, server.limits().requestDeadline().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void respond(ChannelHandlerContext ctx, Job job, Response response) {
        if (job.answered) return;     // the deadline answered already
        job.answered = true;
        if (job.deadline != null) job.deadline.cancel(false);
        if (!job.started) job.start();
        Timing timing = job.exchange.finish();
        server.accessLog().served(job.request, response.status(), timing);
        if (phase == Phase.CLOSING) return;    // the client left while we worked
        boolean keepAlive = job.request.keepAlive() && !server.draining();
        FullHttpResponse out = Messages.response(response, timing, keepAlive, job.request.method().equals("HEAD"));
        if (keepAlive) {
            write(ctx, out);
            next(ctx);
        } else {
            phase = Phase.CLOSING;
            releaseWaiting();
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Inside a read the flush waits for channelReadComplete, so pipelined answers leave in one write. */
    private void write(ChannelHandlerContext ctx, FullHttpResponse out) {
        if (inRead) {
            ctx.write(out).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            needsFlush = true;
        } else {
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    /**
     * Answers a refused request and closes: output is shut first and input read and dropped for a moment,
     * because closing with unread input makes the kernel send a reset that can destroy the answer.
     */
    private void refuse(ChannelHandlerContext ctx, Refusal refusal) {
        phase = Phase.CLOSING;
        cancelIdleDeadline();
        releaseWaiting();
        server.accessLog().refused(refusal.status(), refusal.reason());
        Response answer = Response.text(refusal.status(), refusal.reason() + "\n");
        ctx.channel().config().setAutoRead(true);
        ctx.writeAndFlush(Messages.response(answer, Timing.refusedNow(acceptedMicros), false, false)).addListener(f -> {
            if (!f.isSuccess() || !(ctx.channel() instanceof DuplexChannel duplex)) {
                ctx.close();
                return;
            }
            duplex.shutdownOutput();
            ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    }

    private void becomeIdle(ChannelHandlerContext ctx) {
        phase = Phase.IDLE;
        if (server.draining() && !screen.inProgress()) {
            close(ctx);
            return;
        }
        cancelIdleDeadline();
        idleDeadline = ctx.executor().schedule(() -> {
            idleDeadline = null;
            // A half-read request is the screen's to time out (408, or a stalled body).
            if (phase == Phase.IDLE && !screen.inProgress()) close(ctx);
        }, server.limits().idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
    }

    private void close(ChannelHandlerContext ctx) {
        phase = Phase.CLOSING;
        cancelIdleDeadline();
        ctx.close();
    }

    private void cancelIdleDeadline() {
        if (idleDeadline != null) {
            idleDeadline.cancel(false);
            idleDeadline = null;
        }
    }

    private void releaseWaiting() {
        Object item;
        while ((item = waiting.poll()) != null) ReferenceCountUtil.release(item);
    }

    /** One request's work in progress. */
    private static final class Job {
        final Request request;
        final Exchange exchange;
        /** Whether a step has run; a response built after an offloaded step keeps the worker's name. */
        boolean started;
        /** Whether an answer was written: the result, or 503 when the deadline passed first. Loop only. */
        boolean answered;
        ScheduledFuture<?> deadline;

        Job(Request request, Exchange exchange) {
            this.request = request;
            this.exchange = exchange;
        }

        void start() {
            exchange.markStarted();
            started = true;
        }

        Reply compute(Reply.Compute compute) {
            try {
                return compute.work().run(Safepoint.NONE);
            } catch (RuntimeException | Error e) {
                return failed(e);
            }
        }

        Reply wake(Reply.Sleep sleep) {
            try {
                return sleep.then().get();
            } catch (RuntimeException | Error e) {
                return failed(e);
            }
        }

        Reply failed(Throwable e) {
            if (e instanceof VirtualMachineError vme) throw vme;
            return Reply.of(ApplicationErrors.handle(request, e));
        }
    }
}
