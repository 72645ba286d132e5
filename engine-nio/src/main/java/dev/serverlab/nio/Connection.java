package dev.serverlab.nio;

import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.http.HttpException;
import dev.serverlab.api.http.RequestParser;
import dev.serverlab.api.http.ResponseWriter;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.Exchange;
import dev.serverlab.api.server.Steps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One client connection and its HTTP/1.1 protocol, run by the {@link EventLoop} that owns it: reading,
 * parsing, pipelining, the application's steps, writing, the lingering close, its timeouts and its part in
 * a drain. Only that loop's thread touches it, so nothing here is synchronized.
 *
 * <pre>
 *      accepted
 *         │                request parsed     ┌────────────┐ the application's steps run where
 *         ▼          ┌──────────────────────► │ DISPATCHED │ {@link Dispatch} puts them: inline,
 *   ┌──► READING ────┘                        └────────────┘ on a timer, or on the offload pool
 *   │    OP_READ; parses buffered bytes             │
 *   │         │                                     │
 *   │         │ malformed (4xx), header timeout     │ response queued
 *   │         │ (408), EOF  ─► answer queued        ▼
 *   │         └───────────────────────────────► ┌────────────┐ OP_WRITE while output is pending;
 *   │  output ≤ 64 KiB and keep-alive           │  WRITING   │ no reading, no parsing
 *   └────────────────────────────────────────── └────────────┘
 *                                                     │ all written, and Connection: close
 *     READING ── idle timeout ──► CLOSED ◄── LINGERING ◄─┘ (shut output, discard input ≤ 0.5 s,
 *                                                          so the client reads the answer, not a reset)
 * </pre>
 *
 * Each event runs inside an error boundary ({@link #guarded}): a failure closes this connection, and only
 * it. Pipelined requests wait in {@link #unparsed} while one is dispatched, so responses leave in order,
 * and the responses to one read leave in one write. A client that does not read costs at most
 * {@value #MAX_BACKLOG} bytes plus one response: then reading stops, and TCP pushes back on the client.
 */
final class Connection implements Ready {

    enum State { READING, DISPATCHED, WRITING, LINGERING, CLOSED }

    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    /** Output a connection may have queued and still read more requests. */
    static final int MAX_BACKLOG = 64 * 1024;
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long LINGER_BUDGET = 64 * 1024;
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0).asReadOnlyBuffer();

    /** Work on this connection that may fail; {@link #guarded} turns a failure into closing it. */
    private interface Step {
        void run() throws IOException;
    }

    private final EventLoop loop;
    private final Service service;
    private final Dispatch dispatch;
    private final SocketChannel channel;
    /** When the connection was accepted, in epoch micros: the {@code X-Accepted-At} of each of its requests. */
    private final long acceptedMicros;
    private final RequestParser parser;
    private final ResponseWriter out = new ResponseWriter();
    private SelectionKey key;

    private State state = State.READING;
    /** The request the application is working on, or null. Late results for another exchange are dropped. */
    private Exchange exchange;
    /** The one exchange of this connection, {@link Exchange#reuse reused} for each request: none allocated per request. */
    private Exchange reusable;
    /** Close once the queued output is written: the response said {@code Connection: close}, or a refusal. */
    private boolean closing;
    /** The client half-closed: nothing more will arrive. */
    private boolean inputEnded;
    /** {@link System#nanoTime()} of the last read or write that moved bytes: the idle timeout counts from it. */
    private long lastActive;
    /** {@link System#nanoTime()} when the current request's first bytes arrived; 0 between requests. */
    private long headersSince;
    /** {@link System#nanoTime()} by which dispatched work must be done; 0 until its first wait begins. */
    private long deadlineAt;
    /** Bytes read and thrown away while lingering; bounded so a client cannot keep us reading. */
    private long discarded;
    /** Pipelined bytes read but not yet parsed: they wait while a request is dispatched or output backs up. */
    private ByteBuffer unparsed = NOTHING;

    Connection(EventLoop loop, Service service, Dispatch dispatch, SocketChannel channel, long acceptedMicros) {
        this.loop = loop;
        this.service = service;
        this.dispatch = dispatch;
        this.channel = channel;
        this.acceptedMicros = acceptedMicros;
        this.parser = new RequestParser(service.limits());
    }

    /** On the loop: starts reading. A connection handed over while the loop drains is closed at once. */
    void open() {
        try {
            key = loop.register(channel, SelectionKey.OP_READ, this);
        } catch (IOException e) {
            close();
            return;
        }
        lastActive = System.nanoTime();
        if (service.accessLog().enabled()) service.accessLog().accepted(channel.socket().getRemoteSocketAddress());
        if (loop.draining()) close();
    }

    @Override
    public void onReady(SelectionKey key) {
        if (key.isValid() && key.isWritable()) guarded(() -> serve(unparsed));
        if (key.isValid() && key.isReadable()) guarded(this::onReadable);
    }

    /** The error boundary: a failure while serving this connection closes it, and only it. */
    private void guarded(Step step) {
        if (state == State.CLOSED) return;
        try {
            step.run();
        } catch (IOException e) {
            // The client reset or left: nothing to answer and nobody to tell.
            log.debug("{}: connection lost: {}", loop.name(), e.toString());
            close();
        } catch (RuntimeException e) {
            log.warn("{}: closing a connection after an unexpected error: {}", loop.name(), e.toString());
            close();
        }
    }

    // ---- reading, parsing, writing ------------------------------------------------------------------

    private void onReadable() throws IOException {
        ByteBuffer in = loop.readBuffer();
        if (state == State.LINGERING) {
            int n = channel.read(in);
            if (n < 0 || (discarded += n) > LINGER_BUDGET) close();
            return;
        }
        if (state != State.READING) return; // readiness reported before the interest changed
        int n = channel.read(in);
        in.flip();
        if (n < 0) {
            // The client half-closed: answer what is queued, then close. A partial request is dropped.
            inputEnded = true;
            closing = true;
            state = State.WRITING;
        } else if (n > 0) {
            lastActive = loop.now();
        }
        serve(in);
    }

    /**
     * Moves this connection as far as it can go now: parses and starts requests from {@code in} while it
     * may read, then writes everything queued with one write, and goes on parsing if that write made room.
     */
    private void serve(ByteBuffer in) throws IOException {
        while (true) {
            readAgainIfAllowed();
            if (state == State.READING && in.hasRemaining() && parseNext(in)) continue;
            int before = out.pendingBytes();
            if (before > 0 && out.writeTo(channel) > 0) lastActive = loop.now();
            readAgainIfAllowed();
            if (state == State.WRITING && closing && out.pendingBytes() == 0) {
                linger();
                break;
            }
            // Parsing stopped on a backlog that this write reduced: go on with the pipelined bytes.
            if (!(state == State.READING && in.hasRemaining() && out.pendingBytes() < before)) break;
        }
        keepUnparsed(in);
        if (loop.draining() && idle()) close();
        else updateInterest();
    }

    /** After a response, reading resumes unless the connection closes after it or its output backed up. */
    private void readAgainIfAllowed() {
        if (state == State.WRITING && !closing && out.pendingBytes() <= MAX_BACKLOG) state = State.READING;
    }

    /** True when parsing {@code in} started or refused a request, false when the bytes ran out. */
    private boolean parseNext(ByteBuffer in) {
        Request request;
        try {
            request = parser.parse(in);
        } catch (HttpException e) {
            in.position(in.limit());
            refuse(e);
            return true;
        }
        if (request == null) {
            if (parser.takeContinue()) out.appendContinue();
            if (parser.readingHeaders() && headersSince == 0) headersSince = System.nanoTime();
            return false;
        }
        start(request);
        return true;
    }

    /** Answers a request the parser refused, and closes after the answer. */
    private void refuse(HttpException e) {
        service.accessLog().refused(e.status(), e.reason());
        out.appendError(e, Timing.refusedNow(acceptedMicros));
        closeWhenWritten();
    }

    /** The answer queued last is the connection's last: no more requests are read. */
    private void closeWhenWritten() {
        exchange = null;
        headersSince = 0;
        closing = true;
        state = State.WRITING;
    }

    /**
     * Closing with unread input makes the kernel send a reset, which can destroy the answer before the
     * client reads it. So: shut our side, discard what still arrives, briefly and boundedly, then close.
     */
    private void linger() throws IOException {
        if (inputEnded) {
            close();
            return;
        }
        channel.shutdownOutput();
        state = State.LINGERING;
        loop.schedule(System.nanoTime() + LINGER_NANOS, () -> {
            if (state == State.LINGERING) close();
        });
    }

    /** Keeps what {@code in} still holds; out of the loop's read buffer, which the next read reuses. */
    private void keepUnparsed(ByteBuffer in) {
        if (!in.hasRemaining() || state == State.LINGERING || state == State.CLOSED) {
            unparsed = NOTHING;
        } else if (in != unparsed) {
            unparsed = ByteBuffer.allocate(in.remaining()).put(in).flip();
        }
    }

    /** Between requests with nothing to write: closing it now loses nothing. */
    private boolean idle() {
        return state == State.READING && !parser.inProgress() && out.pendingBytes() == 0;
    }

    /** Reads only in READING (and LINGERING, to discard); writes whenever output is pending. */
    private void updateInterest() {
        if (state == State.CLOSED) return;
        int ops = state == State.READING || state == State.LINGERING ? SelectionKey.OP_READ : 0;
        if (out.pendingBytes() > 0 && state != State.LINGERING) ops |= SelectionKey.OP_WRITE;
        if (key.interestOps() != ops) key.interestOps(ops);
    }

    /** Closes the socket and tells the loop; whatever is pending is dropped. Idempotent. */
    void close() {
        if (state == State.CLOSED) return;
        state = State.CLOSED;
        exchange = null;
        unparsed = NOTHING;
        out.clear();
        if (key != null) key.cancel();
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing is best effort: the socket is gone either way.
        }
        loop.closed(this);
    }

    // ---- the application's steps: where they run is {@link Dispatch}'s ---------------------------------

    private void start(Request request) {
        state = State.DISPATCHED;
        headersSince = 0;
        deadlineAt = 0;
        if (reusable == null) reusable = new Exchange(request, acceptedMicros);
        else reusable.reuse(request);
        exchange = reusable;
        dispatch.start(this, reusable);
    }

    /**
     * A timer or the pool hands request number {@code sequence} back; it is dropped if this connection closed
     * or timed out meanwhile.
     */
    void resume(Exchange resumed, long sequence, Supplier<Reply> step) {
        if (exchange != resumed || resumed.sequence() != sequence) return;
        guarded(() -> {
            dispatch.advance(this, resumed, step);
            serve(unparsed);
        });
    }

    /** Dispatched work has its answer: queue it, and read on unless it closes the connection. */
    void respond(Exchange done, Response response) {
        Request request = done.request();
        done.markFinished();
        boolean keepAlive = request.keepAlive() && !loop.draining();
        out.append(response, done, keepAlive, request.method().equals("HEAD"));
        service.accessLog().served(request, response.status(), done);
        exchange = null;
        closing |= !keepAlive;
        state = State.WRITING;
    }

    /** The request deadline counts from the first wait or offload, once. */
    void startDeadline() {
        if (deadlineAt == 0) deadlineAt = System.nanoTime() + service.limits().requestDeadline().toNanos();
    }

    // ---- timeouts and shutdown ----------------------------------------------------------------------

    /**
     * The loop's periodic sweep, judged by the tick's scheduled time {@code at}: headers too slow (408),
     * idle too long (close), a client that stopped reading (close), dispatched work past its deadline (503).
     */
    void sweep(long at) {
        long idle = service.limits().idleTimeout().toNanos();
        switch (state) {
            case READING -> {
                if (parser.readingHeaders()) {
                    if (headersSince != 0 && at - headersSince > service.limits().headerReadTimeout().toNanos()) {
                        guarded(() -> {
                            refuse(new HttpException(408, "request headers took too long"));
                            serve(unparsed);
                        });
                    }
                } else if (at - lastActive > idle) {
                    close(); // idle between requests, or a body that stopped arriving
                }
            }
            case WRITING -> {
                if (at - lastActive > idle) close(); // no progress writing: the client stopped reading
            }
            case DISPATCHED -> {
                if (deadlineAt != 0 && at - deadlineAt > 0) guarded(this::missedDeadline);
            }
            default -> { }
        }
    }

    /** Work ran past {@code requestDeadline}: answer 503 and close; a late result will be dropped. */
    private void missedDeadline() throws IOException {
        out.append(Steps.DEADLINE_EXCEEDED, Timing.refusedNow(acceptedMicros), false, false);
        service.accessLog().refused(503, "deadline of " + service.limits().requestDeadline().toSeconds() + " s missed by "
                + exchange.request().path());
        closeWhenWritten();
        serve(unparsed);
    }

    /**
     * The loop began to drain. A request the client already sent may wait unread in the socket: read
     * first. What stays idle is closed by {@link #serve}; what arrived is answered, with {@code Connection: close}.
     */
    void drain() {
        if (idle()) guarded(this::onReadable);
    }
}
