package dev.serverlab.nio;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.app.Safepoint;
import dev.serverlab.api.http.HttpException;
import dev.serverlab.api.http.ResponseWriter;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.AccessLog;
import dev.serverlab.api.server.ApplicationErrors;
import dev.serverlab.api.server.Exchange;
import dev.serverlab.api.server.Steps;
import dev.serverlab.nio.Connection.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One selector loop: a single thread that accepts, reads, parses, runs the application's steps and writes
 * for every connection it owns, and never blocks anywhere but in {@code select}.
 *
 * <pre>
 *   loop:
 *     select(until the next timer)        the only place this thread waits
 *     accept, read, write what is ready   non-blocking: partial reads and writes are kept for later
 *     run tasks from other threads        new connections, offloaded results, shutdown
 *     run due timers                      sleeps that end, timeouts, the sweep
 * </pre>
 *
 * A connection's life. Each event is handled inside an error boundary ({@link #guarded}): whatever goes
 * wrong with one connection closes that connection, and only it.
 *
 * <pre>
 *      accepted
 *         │                request parsed     ┌────────────┐ Compute inline: runs right here; every
 *         ▼          ┌──────────────────────► │ DISPATCHED │   other connection waits (the lesson)
 *   ┌──► READING ────┘                        └────────────┘ Compute offloaded: on the pool; the result
 *   │    OP_READ; parses buffered bytes             │          comes back as a task (the cure)
 *   │         │                                     │        Sleep: a timer; the loop serves others
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
 * Pipelined requests stay in the connection's buffer while one is dispatched, so responses leave in order.
 * A client that does not read costs at most {@value #MAX_BACKLOG} bytes plus one response: beyond that the
 * loop stops reading from it, and TCP pushes back on the client.
 */
final class EventLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

    /** Output a connection may have queued and still read more requests. */
    static final int MAX_BACKLOG = 64 * 1024;
    private static final int READ_BUFFER_BYTES = 64 * 1024;
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long LINGER_BUDGET = 64 * 1024;
    /** Longer waits are cut here (the request deadline ends them first anyway): nanoTime arithmetic stays exact. */
    private static final Duration LONGEST_SLEEP = Duration.ofDays(1);

    /** Work on one connection that may fail; {@link #guarded} turns a failure into closing that connection. */
    @FunctionalInterface
    private interface Step {
        void run(Connection c) throws IOException;
    }

    private final String name;
    private final Application application;
    private final Limits limits;
    private final AccessLog accessLog;
    /** Where CPU work runs when offloaded; null runs it on this loop. */
    private final ExecutorService offload;
    /** Accepts for the whole group, on the first loop's thread. */
    private final Acceptor acceptor;
    private final boolean accepts;
    private final Selector selector;
    private final Thread thread;
    private final long sweepNanos;

    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** Connections handed to this loop and not closed yet; the acceptor reads it to pick the least loaded loop. */
    private final AtomicInteger load = new AtomicInteger();
    /** Set when the loop has ended (drained, or its selector failed): the acceptor hands it nothing more. */
    private volatile boolean ended;

    // Loop-thread state: no locks needed.
    private final Timers timers = new Timers();
    private final Set<Connection> connections = new HashSet<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
    private boolean draining;

    EventLoop(String name, Application application, Limits limits, AccessLog accessLog, ExecutorService offload,
              Acceptor acceptor, boolean accepts) throws IOException {
        this.name = name;
        this.application = application;
        this.limits = limits;
        this.accessLog = accessLog;
        this.offload = offload;
        this.acceptor = acceptor;
        this.accepts = accepts;
        this.selector = Selector.open();
        if (accepts) acceptor.register(this, selector);
        this.thread = Thread.ofPlatform().name(name).unstarted(this);
        long shortest = Math.min(limits.idleTimeout().toNanos(), Math.min(limits.headerReadTimeout().toNanos(), limits.requestDeadline().toNanos()));
        this.sweepNanos = Math.clamp(shortest / 10, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
    }

    void start() {
        thread.start();
    }

    /** Releases the selector of a loop that will never start, when starting the server failed. */
    void discard() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    Thread thread() {
        return thread;
    }

    int load() {
        return load.get();
    }

    boolean ended() {
        return ended;
    }

    /** Runs {@code task} on this loop soon; safe from any thread. */
    void execute(Runnable task) {
        tasks.add(task);
        if (Thread.currentThread() != thread && wakeupPending.compareAndSet(false, true)) selector.wakeup();
    }

    @Override
    public void run() {
        scheduleSweep(System.nanoTime() + sweepNanos);
        try {
            while (!(draining && load.get() == 0)) {
                select();
                runTasks();
                runTimers();
            }
        } catch (IOException | RuntimeException e) {
            log.error("{} stopped: {}", name, e.toString());
        } finally {
            ended = true;
            for (Connection c : List.copyOf(connections)) close(c);
            if (accepts) acceptor.stop();
            try {
                selector.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    private void select() throws IOException {
        long delay = timers.nanosToNext(System.nanoTime());
        if (!tasks.isEmpty() || delay == 0) {
            selector.selectNow(this::onSelected);
        } else if (delay < 0) {
            selector.select(this::onSelected);
        } else {
            // Round up: waking a little late is fine; waking early would spin until the timer is due.
            selector.select(this::onSelected, (delay + 999_999) / 1_000_000);
        }
        wakeupPending.set(false);
    }

    private void onSelected(SelectionKey key) {
        if (key.attachment() instanceof Connection c) {
            if (key.isValid() && key.isWritable()) guarded(c, this::onWritable);
            if (key.isValid() && key.isReadable()) guarded(c, this::onReadable);
        } else if (key.isValid() && key.isAcceptable()) {
            try {
                acceptor.onAcceptable();
            } catch (RuntimeException e) {
                log.warn("{}: accepting failed: {}", name, e.toString());
            }
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("{}: a task failed: {}", name, e.toString());
            }
        }
    }

    private void runTimers() {
        timers.runDue(System.nanoTime(), e -> log.warn("{}: a timer failed: {}", name, e.toString()));
    }

    /** Runs {@code action} on this loop at {@code at} ({@link System#nanoTime()}); loop thread only. */
    void schedule(long at, Runnable action) {
        timers.at(at, action);
    }

    /** The error boundary: a failure while serving one connection closes that connection, and only it. */
    private void guarded(Connection c, Step step) {
        if (c.state == State.CLOSED) return;
        try {
            step.run(c);
        } catch (IOException e) {
            // The client reset or left: nothing to answer and nobody to tell.
            log.debug("{}: connection lost: {}", name, e.toString());
            close(c);
        } catch (RuntimeException e) {
            log.warn("{}: closing a connection after an unexpected error: {}", name, e.toString());
            close(c);
        }
    }

    // ---- accepting ----------------------------------------------------------------------------------

    /** Takes a freshly accepted connection; called by the acceptor, on its loop's thread. */
    void adopt(SocketChannel channel, long acceptedMicros) {
        load.incrementAndGet();
        Connection c = new Connection(channel, acceptedMicros, limits);
        if (Thread.currentThread() == thread) register(c);
        else execute(() -> register(c));
    }

    private void register(Connection c) {
        try {
            c.key = c.channel.register(selector, SelectionKey.OP_READ, c);
        } catch (IOException e) {
            close(c);
            return;
        }
        connections.add(c);
        c.lastActive = System.nanoTime();
        if (accessLog.enabled()) accessLog.accepted(c.channel.socket().getRemoteSocketAddress());
        if (draining) close(c);
    }

    // ---- reading, parsing, writing ------------------------------------------------------------------

    private void onReadable(Connection c) throws IOException {
        if (c.state == State.LINGERING) {
            readBuffer.clear();
            int n = c.channel.read(readBuffer);
            if (n < 0 || (c.discarded += n) > LINGER_BUDGET) close(c);
            return;
        }
        if (c.state != State.READING) return; // readiness reported before the interest changed
        readBuffer.clear();
        int n = c.channel.read(readBuffer);
        readBuffer.flip();
        if (n < 0) {
            // The client half-closed: answer what is queued, then close. A partial request is dropped.
            c.inputEnded = true;
            c.closing = true;
            c.state = State.WRITING;
        } else if (n > 0) {
            c.lastActive = System.nanoTime();
        }
        serve(c, readBuffer);
    }

    private void onWritable(Connection c) throws IOException {
        serve(c, c.unparsed());
    }

    /**
     * Moves a connection as far as it can go now: writes what it can, leaves WRITING when the backlog
     * allows, then parses and starts requests from {@code in} until one is dispatched or the bytes run out.
     */
    private void serve(Connection c, ByteBuffer in) throws IOException {
        while (true) {
            if (c.pendingBytes() > 0) c.flush();
            if (c.state == State.WRITING) {
                if (c.closing) {
                    if (c.pendingBytes() == 0) linger(c);
                    break;
                }
                if (c.pendingBytes() > MAX_BACKLOG) break;
                c.state = State.READING;
            }
            if (c.state != State.READING || !in.hasRemaining()) break;
            Request request;
            try {
                request = c.parser.parse(in);
            } catch (HttpException e) {
                in.position(in.limit());
                refuse(c, e);
                continue;
            }
            if (request == null) {
                if (c.parser.takeContinue()) {
                    c.queue(ResponseWriter.continueResponse());
                    c.flush();
                }
                if (c.parser.readingHeaders() && c.headersSince == 0) c.headersSince = System.nanoTime();
                break;
            }
            start(c, request);
        }
        c.keepUnparsed(in);
        if (draining && c.idle()) close(c);
        else c.updateInterest();
    }

    /** Answers a request the parser refused, and closes after the answer. */
    private void refuse(Connection c, HttpException e) {
        accessLog.refused(e.status(), e.reason());
        c.queue(ResponseWriter.error(e, Timing.refusedNow(c.acceptedMicros)));
        c.closing = true;
        c.headersSince = 0;
        c.state = State.WRITING;
    }

    /**
     * Closing with unread input makes the kernel send a reset, which can destroy the answer before the
     * client reads it. So: shut our side, discard what still arrives, briefly and boundedly, then close.
     */
    private void linger(Connection c) throws IOException {
        if (c.inputEnded) {
            close(c);
            return;
        }
        c.channel.shutdownOutput();
        c.state = State.LINGERING;
        schedule(System.nanoTime() + LINGER_NANOS, () -> {
            if (c.state == State.LINGERING) close(c);
        });
    }

    private void close(Connection c) {
        if (c.state == State.CLOSED) return;
        c.close();
        connections.remove(c);
        load.decrementAndGet();
        acceptor.connectionClosed();
    }

    // ---- the application's steps ----------------------------------------------------------------------

    private void start(Connection c, Request request) {
        c.state = State.DISPATCHED;
        c.headersSince = 0;
        c.deadlineAt = 0;
        Exchange exchange = new Exchange(request, c.acceptedMicros);
        c.exchange = exchange;
        advance(c, exchange, () -> application.handle(request));
    }

    /**
     * Runs the application's steps until one has to wait (a timer, the offload pool) or the response is
     * ready. Inline CPU work runs right here, and while it runs this loop serves nobody else.
     */
    private void advance(Connection c, Exchange exchange, Supplier<Reply> step) {
        try {
            Reply reply = step.get();
            while (true) {
                switch (reply) {
                    case Reply.Done done -> {
                        respond(c, exchange, done.response());
                        return;
                    }
                    case Reply.Sleep sleep -> {
                        exchange.markStarted();
                        // A wait that would end past the deadline is refused now, as on the thread engines,
                        // rather than left to the periodic sweep.
                        if (Steps.exceedsDeadline(sleep, exchange, limits)) {
                            respond(c, exchange, Steps.DEADLINE_EXCEEDED);
                            return;
                        }
                        long now = System.nanoTime();
                        if (c.deadlineAt == 0) c.deadlineAt = now + limits.requestDeadline().toNanos();
                        long wait = sleep.duration().compareTo(LONGEST_SLEEP) > 0 ? LONGEST_SLEEP.toNanos() : sleep.duration().toNanos();
                        schedule(now + wait, () -> resume(c, exchange, sleep.then()));
                        return;
                    }
                    case Reply.Compute compute when offload != null -> {
                        if (c.deadlineAt == 0) c.deadlineAt = System.nanoTime() + limits.requestDeadline().toNanos();
                        offload(c, exchange, compute.work());
                        return;
                    }
                    case Reply.Compute compute -> {
                        exchange.markStarted();
                        reply = compute.work().run(Safepoint.NONE);
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError vme) throw vme;
            respond(c, exchange, ApplicationErrors.handle(exchange.request(), e));
        }
    }

    /** The cure: CPU work runs on a pool thread; its result comes back to this loop as a task. */
    private void offload(Connection c, Exchange exchange, Reply.CpuWork work) {
        offload.execute(() -> {
            exchange.markStarted(); // on the pool thread: it starts the work, and the timeline names it
            Reply next;
            try {
                next = work.run(Safepoint.NONE);
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError vme) throw vme;
                next = Reply.of(ApplicationErrors.handle(exchange.request(), e));
            }
            Reply result = next;
            execute(() -> resume(c, exchange, () -> result));
        });
    }

    /** A timer or the pool hands a request back; it is dropped if its connection closed or timed out meanwhile. */
    private void resume(Connection c, Exchange exchange, Supplier<Reply> step) {
        if (c.exchange != exchange) return;
        guarded(c, conn -> {
            advance(conn, exchange, step);
            serve(conn, conn.unparsed());
        });
    }

    private void respond(Connection c, Exchange exchange, Response response) {
        Request request = exchange.request();
        Timing timing = exchange.finish();
        boolean keepAlive = request.keepAlive() && !draining;
        c.queue(ResponseWriter.encode(response, timing, keepAlive, request.method().equals("HEAD")));
        accessLog.served(request, response.status(), timing);
        c.exchange = null;
        c.closing |= !keepAlive;
        c.state = State.WRITING;
    }

    // ---- timeouts and shutdown ----------------------------------------------------------------------

    /**
     * Every connection's timeouts, checked by one periodic timer rather than one timer per connection.
     * Each tick judges by its scheduled time, so a sleep due before it always runs first.
     */
    private void scheduleSweep(long at) {
        schedule(at, () -> {
            for (Connection c : new ArrayList<>(connections)) {
                switch (c.state) {
                    case READING -> {
                        if (c.parser.readingHeaders()) {
                            if (c.headersSince != 0 && at - c.headersSince > limits.headerReadTimeout().toNanos()) {
                                guarded(c, conn -> {
                                    refuse(conn, new HttpException(408, "request headers took too long"));
                                    serve(conn, conn.unparsed());
                                });
                            }
                        } else if (at - c.lastActive > limits.idleTimeout().toNanos()) {
                            close(c); // idle between requests, or a body that stopped arriving
                        }
                    }
                    // No progress writing for the idle timeout: the client stopped reading.
                    case WRITING -> {
                        if (at - c.lastActive > limits.idleTimeout().toNanos()) close(c);
                    }
                    case DISPATCHED -> {
                        if (c.deadlineAt != 0 && at - c.deadlineAt > 0) guarded(c, this::missedDeadline);
                    }
                    default -> { }
                }
            }
            scheduleSweep(Math.max(at + sweepNanos, System.nanoTime()));
        });
    }

    /** Work ran past {@code requestDeadline}: answer 503 and close; a late result will be dropped. */
    private void missedDeadline(Connection c) throws IOException {
        Exchange exchange = c.exchange;
        c.queue(ResponseWriter.encode(Response.text(503, "the request took longer than its deadline\n"),
                Timing.refusedNow(c.acceptedMicros), false, false));
        accessLog.refused(503, "deadline of " + limits.requestDeadline().toSeconds() + " s missed by " + exchange.request().path());
        c.exchange = null;
        c.closing = true;
        c.state = State.WRITING;
        serve(c, c.unparsed());
    }

    /**
     * Graceful shutdown, on this loop: idle connections close now, busy ones after their answer (which says
     * {@code Connection: close}); whatever is left at {@code deadline} is closed by force. The loop ends
     * when it has no connections left.
     */
    void drain(long deadline) {
        draining = true;
        for (Connection c : new ArrayList<>(connections)) {
            // A request the client already sent may wait unread in the socket: read first. What stays
            // idle is closed by serve(); what arrived is answered, with Connection: close.
            if (c.idle()) guarded(c, this::onReadable);
        }
        schedule(deadline, () -> {
            if (!connections.isEmpty()) log.warn("{}: {} connection(s) still busy after the drain timeout; closing them", name, connections.size());
            for (Connection c : new ArrayList<>(connections)) close(c);
        });
    }
}
