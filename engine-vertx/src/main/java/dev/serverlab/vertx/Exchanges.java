package dev.serverlab.vertx;

import dev.serverlab.api.app.Header;
import dev.serverlab.api.app.Headers;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.app.Safepoint;
import dev.serverlab.api.http.HttpDate;
import dev.serverlab.api.http.ResponseWriter;
import dev.serverlab.api.http.Status;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.ApplicationErrors;
import dev.serverlab.api.server.Exchange;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Serves requests on a verticle's event loop: converts Vert.x's request to the application's, runs the
 * reply's steps the event-loop way, and writes the response with the same status line and headers as
 * every other engine.
 *
 * <pre>
 *   Done      respond
 *   Sleep     vertx.setTimer: the loop serves others, the timer continues the request
 *   Compute   inline: the loop computes and everything on it waits
 *             --offload: executeBlocking(work, ordered = false) on the "vertx-offload" pool; the result
 *             comes back to this verticle's event loop
 * </pre>
 *
 * {@code executeBlocking} is ordered by default: each context's blocking tasks would run one after
 * another, which on one event loop serialises the very work we offload. Unordered, they run in parallel
 * on the pool's threads.
 */
final class Exchanges {

    private final Vertx vertx;
    private final ServerSetup setup;

    Exchanges(Vertx vertx, ServerSetup setup) {
        this.vertx = vertx;
        this.setup = setup;
    }

    void serve(HttpServerRequest req) {
        RequestScreen screen = screenOf(req);
        long accepted = screen != null ? screen.acceptedMicros() : Timing.nowMicros();
        String refusal = req.getHeader(Screens.REFUSAL_HEADER);
        String secret = setup.screens().secret() + " ";
        if (refusal != null && refusal.startsWith(secret)) {
            String[] parts = refusal.substring(secret.length()).split(" ", 2);
            refuse(req, screen, accepted, Integer.parseInt(parts[0]), parts.length > 1 ? parts[1] : "refused");
            return;
        }
        req.body().onComplete(body -> {
            if (body.failed()) return;   // the connection went away while the body arrived
            Request request = request(req, body.result());
            Job job = new Job(req, screen, request, new Exchange(request, accepted), accepted);
            Reply first;
            try {
                first = setup.application().handle(request);
            } catch (RuntimeException | Error e) {
                first = job.failed(e);
            }
            advance(job, first);
        });
    }

    /**
     * Vert.x's own decoder refused a request. The screen hands it only canonical requests, so this is a
     * backstop: answer as the shared codec would for the cause, and close.
     */
    void invalid(HttpServerRequest req) {
        RequestScreen screen = screenOf(req);
        Throwable cause = req.decoderResult().cause();
        int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431 : 400;
        refuse(req, screen, screen != null ? screen.acceptedMicros() : Timing.nowMicros(), status, "malformed request");
    }

    private void advance(Job job, Reply reply) {
        while (true) {
            switch (reply) {
                case Reply.Done done -> {
                    respond(job, done.response());
                    return;
                }
                case Reply.Sleep sleep -> {
                    job.start();
                    armDeadline(job);
                    if (sleep.duration().isZero()) {
                        reply = job.wake(sleep);
                        continue;
                    }
                    long ms = Math.max(1, (sleep.duration().toNanos() + 999_999) / 1_000_000);
                    vertx.setTimer(ms, id -> advance(job, job.wake(sleep)));
                    return;
                }
                case Reply.Compute compute -> {
                    WorkerExecutor pool = setup.offload();
                    if (pool != null) {
                        armDeadline(job);
                        pool.executeBlocking(() -> {
                            job.start();
                            return job.compute(compute);
                        }, false).onComplete(done -> advance(job, done.succeeded() ? done.result() : job.failed(done.cause())));
                        return;
                    }
                    job.start();
                    Thread loop = Thread.currentThread();
                    long began = System.nanoTime();
                    setup.computingInline().add(loop);
                    try {
                        reply = job.compute(compute);
                    } finally {
                        setup.computingInline().remove(loop);
                    }
                    setup.blockedLoopWarning().computed(loop, job.request, (System.nanoTime() - began) / 1_000_000,
                            VertxEngine.BLOCKED_CHECK.toMillis());
                }
            }
        }
    }

    /**
     * A request whose work waits (a timer, the pool) must answer within {@code requestDeadline}, or it gets
     * 503 and the connection closes; a result that comes later is dropped. Inline CPU work cannot be cut short.
     */
    private void armDeadline(Job job) {
        if (job.deadlineTimer != 0) return;
        job.deadlineTimer = vertx.setTimer(Math.max(1, setup.limits().requestDeadline().toMillis()), id -> {
            if (job.answered) return;
            job.answered = true;
            refuse(job.req, job.screen, job.acceptedMicros, 503, "the request took longer than its deadline");
        });
    }

    private void respond(Job job, Response response) {
        if (job.answered) return;     // the deadline answered already
        job.answered = true;
        if (job.deadlineTimer != 0) vertx.cancelTimer(job.deadlineTimer);
        if (!job.started) job.start();
        Timing timing = job.exchange.finish();
        setup.accessLog().served(job.request, response.status(), timing);
        boolean keepAlive = job.request.keepAlive() && !setup.draining();
        write(job.req, job.screen, response, timing, keepAlive, job.request.method().equals("HEAD"));
    }

    private void refuse(HttpServerRequest req, RequestScreen screen, long accepted, int status, String reason) {
        setup.accessLog().refused(status, reason);
        // Vert.x closes after answering a request that said Connection: close, as the screen's refusals do;
        // any other request (a deadline missed, a decoder backstop) is closed once its answer is out.
        if (req.getHeader(Screens.REFUSAL_HEADER) == null) req.response().endHandler(v -> req.connection().close());
        write(req, screen, Response.text(status, reason + "\n"), Timing.refusedNow(accepted), false, false);
    }

    /** Status line and headers as {@link ResponseWriter} writes them, in the same order. */
    private void write(HttpServerRequest req, RequestScreen screen, Response response, Timing timing, boolean keepAlive, boolean head) {
        HttpServerResponse out = req.response();
        if (out.closed() || out.ended()) {
            if (screen != null) screen.responded();
            return;
        }
        out.setStatusCode(response.status()).setStatusMessage(Status.reason(response.status()));
        out.putHeader("Server", ResponseWriter.SERVER);
        out.putHeader("Date", HttpDate.now());
        if (response.contentType() != null) out.putHeader("Content-Type", response.contentType());
        out.putHeader("Content-Length", Integer.toString(response.body().length));
        out.putHeader("Connection", keepAlive ? "keep-alive" : "close");
        out.putHeader(Timing.ACCEPTED, Long.toString(timing.acceptedMicros()));
        out.putHeader(Timing.STARTED, Long.toString(timing.startedMicros()));
        out.putHeader(Timing.FINISHED, Long.toString(timing.finishedMicros()));
        out.putHeader(Timing.SERVED_BY, timing.servedBy());
        for (Header h : response.headers()) out.headers().add(h.name(), h.value());
        Buffer body = head || response.body().length == 0 ? Buffer.buffer() : Buffer.buffer(response.body());
        out.end(body).onComplete(done -> {
            if (screen != null) screen.responded();
        });
    }

    private RequestScreen screenOf(HttpServerRequest req) {
        SocketAddress remote = req.connection().remoteAddress();
        return remote == null || remote.hostAddress() == null ? null : setup.screens().of(remote.hostAddress(), remote.port());
    }

    /** Vert.x's request as the application's. */
    static Request request(HttpServerRequest req, Buffer body) {
        List<Header> fields = new ArrayList<>(req.headers().size());
        for (Map.Entry<String, String> e : req.headers()) fields.add(new Header(e.getKey(), e.getValue()));
        String target = req.uri();
        String origin = target.startsWith("/") || target.equals("*") ? target : originPart(target);
        int q = origin.indexOf('?');
        String path = q < 0 ? origin : origin.substring(0, q);
        String query = q < 0 ? "" : origin.substring(q + 1);
        String version = req.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1";
        byte[] bytes = body.length() == 0 ? Request.NO_BODY : body.getBytes();
        return new Request(req.method().name(), target, path, query, version, new Headers(fields), bytes);
    }

    /** The path and query of an absolute-form target, as the shared codec splits it. */
    private static String originPart(String target) {
        int slash = target.indexOf('/', target.indexOf("//") + 2);
        return slash < 0 ? "/" : target.substring(slash);
    }

    /** One request's work in progress. */
    private static final class Job {
        final HttpServerRequest req;
        final RequestScreen screen;
        final Request request;
        final Exchange exchange;
        final long acceptedMicros;
        /** Whether a step has run; a response built after an offloaded step keeps the worker's name. */
        volatile boolean started;
        /** Whether an answer was written: the result, or 503 when the deadline passed first. Event loop only. */
        boolean answered;
        long deadlineTimer;

        Job(HttpServerRequest req, RequestScreen screen, Request request, Exchange exchange, long acceptedMicros) {
            this.req = req;
            this.screen = screen;
            this.request = request;
            this.exchange = exchange;
            this.acceptedMicros = acceptedMicros;
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
