package dev.serverlab.vertx;

import dev.serverlab.api.app.*;
import dev.serverlab.api.http.HttpDate;
import dev.serverlab.api.http.ResponseWriter;
import dev.serverlab.api.http.Status;
import dev.serverlab.api.http.Timed;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.*;
import dev.serverlab.vertx.RequestChecks.Refusal;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.*;

import java.net.InetSocketAddress;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One instance of the HTTP server, on one event loop; {@code --loops N} deploys N of them on one port and
 * Vert.x hands each new connection to one in turn. This class is the model:
 *
 * <pre>
 *   accept ─► connectionHandler: maxConnections; a Watch keeps the connection's deadlines (one timer)
 *   Vert.x decodes the head ─► invalidRequestHandler (400 / 414 / 431) ─► answer, close
 *                            └► requestHandler ─► RequestChecks on the decoded head ─► 4xx, close
 *                                 │  no body ─► Application.handle at once, as Vert.x's own examples answer
 *                                 │  Expect: 100-continue ─► writeContinue()
 *                                 ▼
 *                               body, counted against maxBodyBytes (413) ─► Application.handle
 *                                 │
 *      Sleep    vertx.setTimer: the loop serves every other connection meanwhile
 *      Compute  inline: the loop computes and every connection on it waits (one warning says so)
 *               --offload N: executeBlocking(work, ordered = false) on the "vertx-offload" pool; the result
 *               comes back to this loop, unless a vertx.setTimer at the request deadline answered 503 first
 *      Done     write the answer on this loop; Vert.x hands over the next pipelined request only then
 * </pre>
 *
 * {@code executeBlocking} is ordered by default: one context's blocking tasks would run one after another,
 * which on one event loop serialises the very work we offload.
 */
final class HttpVerticle extends VerticleBase {

    /** Vert.x counts sizes a little differently (no CRLF): RequestChecks decides, Vert.x stops what is far over. */
    private static final int SLACK = 64;
    /** How long a refused connection reads the rest of its body: closing with unread input sends a reset. */
    private static final long LINGER_MILLIS = 500;
    // Header names and values as Netty's AsciiString: hashed once, copied as bytes. Names in ResponseWriter's
    // case (Vert.x's HttpHeaders constants are lower case).
    private static final CharSequence SERVER_NAME = HttpHeaders.createOptimized("Server");
    private static final CharSequence DATE = HttpHeaders.createOptimized("Date");
    private static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("Content-Type");
    private static final CharSequence CONTENT_LENGTH = HttpHeaders.createOptimized("Content-Length");
    private static final CharSequence CONNECTION = HttpHeaders.createOptimized("Connection");
    private static final CharSequence SERVER = HttpHeaders.createOptimized(ResponseWriter.SERVER);
    private static final CharSequence TEXT = HttpHeaders.createOptimized(Response.TEXT);
    private static final CharSequence ACCEPTED = HttpHeaders.createOptimized(Timing.ACCEPTED);
    private static final CharSequence STARTED = HttpHeaders.createOptimized(Timing.STARTED);
    private static final CharSequence FINISHED = HttpHeaders.createOptimized(Timing.FINISHED);
    private static final CharSequence SERVED_BY = HttpHeaders.createOptimized(Timing.SERVED_BY);

    private final ServerSetup setup;
    private final String host;
    private final int port;
    private final Map<HttpConnection, Watch> watches = new HashMap<>();
    private HttpServer server;
    // The Date changes once a second, X-Served-By with the thread: each kept as an AsciiString until it does.
    private final Ascii date = new Ascii();
    private final Ascii servedBy = new Ascii();

    HttpVerticle(ServerSetup setup, String host, int port) {
        this.setup = setup;
        this.host = host;
        this.port = port;
    }

    @Override
    public Future<?> start() {
        var limits = setup.limits;
        long idle = limits.idleTimeout().toMillis();
        var options = new HttpServerOptions().setHost(host).setPort(port)
                .setAcceptBacklog(Listener.BACKLOG).setReuseAddress(true).setTcpNoDelay(true)
                .setMaxInitialLineLength(limits.maxRequestLineBytes() + SLACK)
                .setMaxHeaderSize(limits.maxHeaderBytes() + SLACK)
                // A Watch keeps the deadlines, but its close is Vert.x's graceful one, which waits for pending
                // writes: a client that never reads would never be closed. Vert.x's idle timeout closes at once;
                // set past any request's life and the Watch's deadlines (so its 408 for a stalled body comes
                // first), it cuts only a connection stuck that long.
                .setIdleTimeout((int) Math.max(2 * idle, limits.requestDeadline().toMillis()))
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setHandle100ContinueAutomatically(false)   // refuse a body too large before it is sent
                .setHttp2ClearTextEnabled(false)
                // With WebSocket compression on (the default), every pipeline holds Netty's
                // WebSocketServerExtensionHandler, which closes a connection with more than 128 requests
                // awaiting answers: a client that pipelines and reads late was cut off within milliseconds.
                .setPerFrameWebSocketCompressionSupported(false)
                .setPerMessageWebSocketCompressionSupported(false);
        server = vertx.createHttpServer(options)
                .connectionHandler(this::connected)
                .requestHandler(this::serve)
                .invalidRequestHandler(req -> refuse(req, RequestChecks.undecodable(req.decoderResult().cause())))
                // We serve no WebSockets. Without a WebSocket handler Vert.x answers a version other than 1.0
                // and 1.1 itself (a bare 501); with one, requestHandler sees it (version() null) and closes it.
                .webSocketHandshakeHandler(handshake -> handshake.reject(404));
        return server.listen();
    }

    /** No new connections; in-flight requests are answered within the drain timeout; the rest is closed. */
    @Override
    public Future<?> stop() {
        return server.shutdown(setup.limits.drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    int actualPort() {
        return server.actualPort();
    }

    private void connected(HttpConnection connection) {
        if (setup.open.incrementAndGet() > setup.limits.maxConnections()) {
            setup.open.decrementAndGet();   // Vert.x has no accept gate: past the limit, close at once
            connection.close();
            return;
        }
        var remote = connection.remoteAddress();
        setup.accessLog().accepted(new InetSocketAddress(remote.hostAddress(), remote.port()));
        watches.put(connection, new Watch(connection));
        connection.closeHandler(v -> {
            setup.open.decrementAndGet();
            watches.remove(connection);
        });
    }

    private void serve(HttpServerRequest req) {
        Watch watch = watches.get(req.connection());
        if (watch == null) return;   // a connection past maxConnections, closing
        if (req.version() == null) {
            // HTTP/9.9, the HTTP/2 preface, http/1.1: any answer's status line would repeat that version, which
            // RFC 9110 §2.5 forbids (a server MUST NOT send a version it does not conform to). Close instead:
            // a server MAY close a connection at any time (RFC 9112 §9.5); 505 is a "can" (RFC 9110 §2.5).
            req.connection().close();
            return;
        }
        watch.current = req;
        List<Header> fields = fields(req);
        Refusal refusal = RequestChecks.check(req, fields, setup.limits);
        if (refusal != null) {
            refuse(req, refusal);
            return;
        }
        if (!RequestChecks.hasBody(req)) {
            // As Vert.x's own examples answer: at once, with no body handlers (nor their objects) per request.
            run(req, watch, fields, null);
            return;
        }
        Buffer body = Buffer.buffer();
        if (req.version() == HttpVersion.HTTP_1_1 && req.headers().contains(HttpHeaders.EXPECT)) req.response().writeContinue();
        watch.bodyRead();
        req.handler(chunk -> {
            watch.bodyRead();
            if (body.length() + chunk.length() <= setup.limits.maxBodyBytes()) body.appendBuffer(chunk);
            else refuse(req, new Refusal(413, "body too large"));
        });
        // A malformed chunk: Vert.x's decoder fails in the middle of the body, runs this handler, then closes the
        // channel at once (VertxHandler.exceptionCaught), dropping what is written but not flushed. Our close
        // flushes first (VertxConnection.writeClose), so the 400 goes out.
        req.exceptionHandler(e -> {
            refuse(req, new Refusal(400, "malformed body"));
            req.connection().close();
        });
        req.endHandler(v -> {
            watch.readingBody = false;
            if (!req.response().ended()) run(req, watch, fields, body);
        });
    }

    private void run(HttpServerRequest req, Watch watch, List<Header> fields, Buffer body) {
        Request request = request(req, fields, body);
        Job job = new Job(req, watch, request, new Exchange(request, watch.acceptedMicros));
        advance(job, attempt(job, () -> setup.application.handle(request)));
    }

    private void advance(Job job, Reply reply) {
        while (true) {
            switch (reply) {
                case Reply.Done done -> {
                    respond(job, done.response(), job.request.keepAlive());
                    return;
                }
                case Reply.Sleep sleep -> {
                    job.exchange.markStarted();
                    if (Steps.exceedsDeadline(sleep, job.exchange, setup.limits)) {
                        respond(job, Steps.DEADLINE_EXCEEDED, job.request.keepAlive());
                        return;
                    }
                    if (!sleep.duration().isZero()) {
                        vertx.setTimer(millis(sleep.duration().toNanos()), id -> advance(job, attempt(job, sleep.then())));
                        return;
                    }
                    reply = attempt(job, sleep.then());
                }
                case Reply.Compute compute -> {
                    long left = job.exchange.nanosLeft(setup.limits.requestDeadline());
                    if (left <= 0) {
                        respond(job, Steps.DEADLINE_EXCEEDED, job.request.keepAlive());
                        return;
                    }
                    Supplier<Reply> work = () -> {
                        job.exchange.markStarted();
                        return compute.work().run(Safepoint.NONE);
                    };
                    if (setup.offload != null) {
                        // Running work cannot be stopped: at the deadline the client gets its 503 and the
                        // connection closes; the late result is dropped.
                        long deadline = vertx.setTimer(millis(left), id -> respond(job, Steps.DEADLINE_EXCEEDED, false));
                        setup.offload.executeBlocking(() -> attempt(job, work), false).onComplete(done -> {
                            vertx.cancelTimer(deadline);
                            if (!job.req.response().ended()) advance(job, done.succeeded() ? done.result() : failed(job, done.cause()));
                        });
                        return;
                    }
                    long began = System.nanoTime();
                    reply = attempt(job, work);
                    setup.computedInline(job.request, (System.nanoTime() - began) / 1_000_000);
                }
            }
        }
    }

    private static long millis(long nanos) {
        return Math.max(1, (nanos + 999_999) / 1_000_000);
    }

    private static Reply attempt(Job job, Supplier<Reply> step) {
        try {
            return step.get();
        } catch (RuntimeException | Error e) {
            return failed(job, e);
        }
    }

    /** An application that throws costs one 500 with nothing of the exception in it. */
    private static Reply failed(Job job, Throwable e) {
        if (e instanceof VirtualMachineError vme) throw vme;
        return Reply.of(ApplicationErrors.handle(job.request, e));
    }

    private void respond(Job job, Response response, boolean keepAlive) {
        if (job.req.response().ended()) return;
        job.exchange.markFinished();
        setup.accessLog().served(job.request, response.status(), job.exchange);
        write(job.req, job.watch, response, job.exchange, keepAlive && !setup.draining.get(), job.request.method().equals("HEAD"));
    }

    private void refuse(HttpServerRequest req, Refusal refusal) {
        Watch watch = watches.get(req.connection());
        if (watch == null || req.response().ended()) return;
        setup.accessLog().refused(refusal.status(), refusal.reason());   // an answer is always ended at once
        write(req, watch, Response.text(refusal.status(), refusal.reason() + "\n"), Timing.refusedNow(watch.acceptedMicros), false, false);
    }

    /** Status line and headers as {@link ResponseWriter} writes them, in the same order. */
    private void write(HttpServerRequest req, Watch watch, Response response, Timed timing, boolean keepAlive, boolean head) {
        HttpServerResponse out = req.response();
        if (out.closed() || out.ended()) return;
        String reason = Status.reason(response.status());
        out.setStatusCode(response.status());
        if (!reason.equals(out.getStatusMessage())) out.setStatusMessage(reason);   // Netty's own phrase costs nothing
        // add, not putHeader (which first removes a header of the same name): the map is empty.
        MultiMap headers = out.headers().add(SERVER_NAME, SERVER).add(DATE, date.of(HttpDate.now()));
        String type = response.contentType();
        if (type != null) headers.add(CONTENT_TYPE, type.equals(Response.TEXT) ? TEXT : type);
        headers.add(CONTENT_LENGTH, Integer.toString(response.body().length))
                .add(CONNECTION, keepAlive ? HttpHeaders.KEEP_ALIVE : HttpHeaders.CLOSE)
                .add(ACCEPTED, Long.toString(timing.acceptedMicros()))
                .add(STARTED, Long.toString(timing.startedMicros()))
                .add(FINISHED, Long.toString(timing.finishedMicros()))
                .add(SERVED_BY, servedBy.of(timing.servedBy()));
        for (Header h : response.headers()) headers.add(h.name(), h.value());
        watch.answered();
        Future<Void> sent = out.end(head || response.body().length == 0 ? Buffer.buffer() : Buffer.buffer(response.body()));
        if (!keepAlive) sent.onComplete(done -> closeSoon(req));
    }

    /** Closes once the answer is out, after reading the rest of the body for a moment (else a reset). */
    private void closeSoon(HttpServerRequest req) {
        HttpConnection connection = req.connection();
        if (req.isEnded() || req.decoderResult().isFailure()) {
            connection.close();
            return;
        }
        req.handler(chunk -> { });
        req.endHandler(v -> connection.close());
        vertx.setTimer(LINGER_MILLIS, id -> connection.close());
    }

    /** The header fields as received, read once for the checks and the application. */
    private static List<Header> fields(HttpServerRequest req) {
        List<Header> fields = new ArrayList<>();   // not headers().size(): Vert.x counts a set of the names
        for (Map.Entry<String, String> e : req.headers()) fields.add(new Header(e.getKey(), e.getValue()));
        return fields;
    }

    /** Vert.x's request as the application's; Vert.x splits an absolute-form target as the shared codec does. */
    private static Request request(HttpServerRequest req, List<Header> fields, Buffer body) {
        String query = req.query();
        return new Request(req.method().name(), req.uri(), req.path(), query == null ? "" : query,
                req.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1", new Headers(fields),
                body == null || body.length() == 0 ? Request.NO_BODY : body.getBytes());
    }

    /** A header value as Netty's AsciiString (copied as bytes), made again only when the value changes. */
    private static final class Ascii {
        private String text;
        private CharSequence value;

        CharSequence of(String s) {
            if (s != text) {   // HttpDate and Timing hand out the same String until it changes
                text = s;
                value = HttpHeaders.createOptimized(s);
            }
            return value;
        }
    }

    /** One request's work in progress. */
    private record Job(HttpServerRequest req, Watch watch, Request request, Exchange exchange) {
    }

    /**
     * The deadlines of one connection that Vert.x does not keep: its idle timeout counts only socket activity
     * (it would cut a long {@code /sleep}), and it has no header deadline. One timer, re-armed lazily (a request
     * does not touch it): nothing may arrive for {@code headerReadTimeout} after accept or {@code idleTimeout}
     * after the last answer (close), and a body may not pause for {@code idleTimeout} (408, close). A request
     * being served is never cut: its work has the request deadline. Event-loop confined.
     */
    private final class Watch {

        /** When the connection was accepted, in epoch microseconds: the X-Accepted-At of its requests. */
        final long acceptedMicros = Timing.nowMicros();
        final HttpConnection connection;
        /** The request being served: Vert.x hands over a pipelined one only once this one is answered. */
        HttpServerRequest current;
        boolean readingBody;
        /** The quiet time allowed: the header timeout until the first answer, then the idle timeout. */
        long window = setup.limits.headerReadTimeout().toNanos();
        /** Since when the connection is quiet: accepted, last answered, or last body bytes. */
        long since = System.nanoTime();

        Watch(HttpConnection connection) {
            this.connection = connection;
            arm(window);
        }

        void bodyRead() {
            readingBody = true;
            since = System.nanoTime();
            window = setup.limits.idleTimeout().toNanos();
        }

        void answered() {
            current = null;
            readingBody = false;
            since = System.nanoTime();
            window = setup.limits.idleTimeout().toNanos();
        }

        private void arm(long nanos) {
            vertx.setTimer(millis(nanos), id -> check());
        }

        private void check() {
            if (watches.get(connection) != this) return;   // closed
            long left = current != null && !readingBody ? window : since + window - System.nanoTime();
            if (left > 0) arm(left);
            else if (current != null) refuse(current, new Refusal(408, "request body timed out"));
            else connection.close();
        }
    }
}
