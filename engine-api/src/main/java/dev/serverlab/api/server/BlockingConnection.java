package dev.serverlab.api.server;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.http.HttpException;
import dev.serverlab.api.http.RequestParser;
import dev.serverlab.api.http.ResponseWriter;
import dev.serverlab.api.http.Timing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection served to completion by one thread, with blocking reads and writes: the loop every
 * thread engine shares. The engines differ only in which thread runs it, and when.
 *
 * <pre>
 *          ┌──────────── keep-alive ◄───────────────┐
 *          ▼                                         │
 *   IDLE: read() ─bytes─► BUSY: parse ─► handle ─► write ──► close (Connection: close,
 *     │  waits ≤ idleTimeout    ▲  waits ≤ headerReadTimeout  │      error, or draining)
 *     │                         │  (then 408)                 └─ blocked > idleTimeout: the
 *     └─ EOF/timeout/drain ─► CLOSED                             socket watchdog closes it
 * </pre>
 *
 * Memory per connection is one 4 KiB read buffer plus what the {@link RequestParser} holds, both bounded
 * by the limits: a pipelining client that never reads its responses blocks our write, and while it is
 * blocked nothing more is read. It never holds a monitor while blocking, so virtual threads running it do
 * not pin their carrier.
 */
public final class BlockingConnection implements Runnable, Connections.Tracked {

    private static final Logger log = LoggerFactory.getLogger(BlockingConnection.class);

    private static final int IDLE = 0;
    private static final int BUSY = 1;
    private static final int CLOSED = 2;
    /** How long a refused connection waits for the client to stop sending before it closes. */
    private static final int LINGER_MILLIS = 500;
    /** Whether a virtual thread yields before it waits for the next request ({@link #readIdle}). */
    private static final boolean YIELD_BEFORE_IDLE_READ = virtualThreadCarriers() > 1;

    private enum Read { DATA, END, TIMEOUT }

    private final Socket socket;
    private final long acceptedMicros;
    private final Application application;
    private final CpuRunner cpu;
    private final Limits limits;
    private final Connections connections;
    private final AccessLog accessLog;
    private final AtomicInteger state = new AtomicInteger(IDLE);
    /** Read by the draining thread to see whether a request is arriving; null if the socket was already gone. */
    private final InputStream input;
    /** Guards {@link #runner}: a forced close interrupts the thread serving this connection, and no other. */
    private final Object runnerLock = new Object();
    private Thread runner;
    /** Times this connection's blocking calls, from {@link #run}'s start; re-armed for each, without allocating. */
    private SocketWatchdog.Guard guard;
    private final Runnable closeWhenIdleTooLong = this::closeQuietly;
    private final Runnable closeWhenWriteStuck = this::writeTimedOut;
    /** The socket's SO_TIMEOUT as last set here; a new socket's is 0, but -1 makes the first call set it. */
    private int soTimeoutMillis = -1;

    public BlockingConnection(Socket socket, long acceptedMicros, Application application, CpuRunner cpu,
                              Limits limits, Connections connections, AccessLog accessLog) {
        this.socket = socket;
        this.acceptedMicros = acceptedMicros;
        this.application = application;
        this.cpu = cpu;
        this.limits = limits;
        this.connections = connections;
        this.accessLog = accessLog;
        this.input = inputOf(socket);
        connections.add(this);
    }

    @Override
    public void run() {
        synchronized (runnerLock) {
            runner = Thread.currentThread();
        }
        guard = SocketWatchdog.SHARED.register();
        try {
            // Even while draining, a connection accepted before the listener closed is served: its request
            // was accepted. It is answered with Connection: close.
            socket.setTcpNoDelay(true);
            serve(socket.getInputStream(), socket.getOutputStream());
        } catch (IOException | InterruptedException e) {
            // The client went away, timed out, or shutdown closed the socket: nothing to answer.
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // A bug, not the client's doing: log it for the operator, and keep the server serving others.
            log.warn("connection from {} failed; closing it", socket.getRemoteSocketAddress(), e);
        } finally {
            state.set(CLOSED);
            guard.close();
            connections.remove(this);
            closeQuietly();
            synchronized (runnerLock) {
                runner = null;
            }
        }
    }

    private void serve(InputStream in, OutputStream out) throws IOException, InterruptedException {
        RequestParser parser = new RequestParser(limits);
        ByteBuffer buffer = ByteBuffer.allocate(4096).flip();
        // One output buffer for the connection's life: each answer is encoded into it and leaves in one write.
        ResponseWriter writer = new ResponseWriter();
        long headerDeadline = 0;
        while (true) {
            Request request;
            try {
                request = parser.parse(buffer);
            } catch (HttpException e) {
                refuse(in, out, e);
                return;
            }
            if (request == null) {
                if (parser.takeContinue()) write(out, ResponseWriter.continueResponse());
                boolean wasIdle = !parser.inProgress();
                if (parser.readingHeaders() && headerDeadline == 0) headerDeadline = System.nanoTime() + limits.headerReadTimeout().toNanos();
                // Headers must all arrive by one deadline (a trickle cannot extend it); otherwise each read
                // must bring something within the idle timeout.
                long timeoutNanos = parser.readingHeaders() ? headerDeadline - System.nanoTime() : limits.idleTimeout().toNanos();
                Read read = timeoutNanos <= 0 ? Read.TIMEOUT : wasIdle ? readIdle(in, buffer) : read(in, buffer, timeoutNanos);
                if (read == Read.END) return;
                if (read == Read.TIMEOUT) {
                    if (!wasIdle) refuse(in, out, new HttpException(408, parser.readingHeaders() ? "request headers took too long" : "request body took too long"));
                    return;
                }
                if (wasIdle && !state.compareAndSet(IDLE, BUSY)) return;
                continue;
            }
            headerDeadline = 0;
            Exchange exchange = new Exchange(request, acceptedMicros);
            Response response = Steps.runBlocking(application, exchange, cpu, limits);
            exchange.markFinished();
            boolean keepAlive = request.keepAlive() && !connections.draining();
            writer.append(response, exchange, keepAlive, request.method().equals("HEAD"));
            write(out, writer);
            accessLog.served(request, response.status(), exchange);
            if (!keepAlive) return;
            if (!buffer.hasRemaining()) {
                // Between requests: shutdown may now close this connection without losing anything.
                state.set(IDLE);
                if (connections.draining() && !pendingInput() && state.compareAndSet(IDLE, CLOSED)) return;
            }
        }
    }

    /** Reads more bytes into {@code buffer}, waiting at most {@code timeoutNanos}. */
    private Read read(InputStream in, ByteBuffer buffer, long timeoutNanos) throws IOException {
        buffer.compact();
        try {
            soTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos))));
            int n = in.read(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            if (n < 0) return Read.END;
            buffer.position(buffer.position() + n);
            return Read.DATA;
        } catch (SocketTimeoutException e) {
            return Read.TIMEOUT;
        } finally {
            buffer.flip();
        }
    }

    /**
     * The JDK scheduler's carrier threads for virtual threads: {@code -Djdk.virtualThreadScheduler.parallelism},
     * read by the JDK when the first virtual thread starts, or one per core by default.
     */
    public static int virtualThreadCarriers() {
        String set = System.getProperty("jdk.virtualThreadScheduler.parallelism");
        try {
            if (set != null) return Integer.parseInt(set.trim());
        } catch (NumberFormatException ignored) {
            // the JDK reports a bad value itself; its default applies
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Waits for the next request with no socket timeout; the watchdog closes the socket after the idle
     * timeout. Why not {@code setSoTimeout}: on a virtual thread a timed read that finds no data schedules
     * a timer in the scheduler and cancels it on wake-up, which cost about one futex call per request
     * (1.1 to 1.8 per request under wrk -c100, 0.05 to 0.17 without; see engine-virtual's README).
     */
    private Read readIdle(InputStream in, ByteBuffer buffer) throws IOException {
        buffer.compact();
        // A virtual thread whose read finds nothing parks: the JDK arms its poller for the socket (epoll_ctl)
        // and the poller wakes the thread later, after a read that came back empty. Under load the client's
        // next request is a moment away, so let the other connections run first: the read then usually finds
        // it. With nothing else to run, the yield returns at once. Not on a single carrier: it runs the threads
        // in its own queue (those that yielded) before what other threads submit (the poller's wake-ups, new
        // connections), so the connections that keep yielding keep it, and the rest starve (p99 56-233 ms
        // against 4-6 ms without the yield). See engine-virtual's README.
        if (YIELD_BEFORE_IDLE_READ && Thread.currentThread().isVirtual()) Thread.yield();
        guard.arm(limits.idleTimeout().toNanos(), closeWhenIdleTooLong);
        try {
            soTimeout(0);
            int n = in.read(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            if (n < 0) return Read.END;
            buffer.position(buffer.position() + n);
            return Read.DATA;
        } finally {
            guard.disarm();
            buffer.flip();
        }
    }

    /** Sets SO_TIMEOUT only when it changes: an idle read asks for 0 on every request, and each call locks and boxes. */
    private void soTimeout(int millis) throws IOException {
        if (millis == soTimeoutMillis) return;
        socket.setSoTimeout(millis);
        soTimeoutMillis = millis;
    }

    private void refuse(InputStream in, OutputStream out, HttpException e) throws IOException {
        accessLog.refused(e.status(), e.reason());
        write(out, ResponseWriter.error(e, Timing.refusedNow(acceptedMicros)));
        socket.shutdownOutput();
        // Lingering close: closing with unread input makes the kernel send a reset, which can destroy
        // the answer before the client reads it. Discard what the client still sends, briefly and boundedly.
        soTimeout(LINGER_MILLIS);
        byte[] discard = new byte[4096];
        long budget = 64 * 1024;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS);
        try {
            int n;
            while (budget > 0 && System.nanoTime() < deadline && (n = in.read(discard)) >= 0) budget -= n;
        } catch (IOException ignored) {
            // The client closed or stayed silent: either way we are done.
        }
    }

    /** Writes what {@code writer} holds, as {@link #write(OutputStream, ByteBuffer)} does. */
    private void write(OutputStream out, ResponseWriter writer) throws IOException {
        guard.arm(limits.idleTimeout().toNanos(), closeWhenWriteStuck);
        try {
            writer.writeTo(out);
        } finally {
            guard.disarm();
        }
    }

    /** A blocking write, closed by the socket watchdog if the client leaves it blocked past the idle timeout. */
    private void write(OutputStream out, ByteBuffer b) throws IOException {
        guard.arm(limits.idleTimeout().toNanos(), closeWhenWriteStuck);
        try {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
        } finally {
            guard.disarm();
        }
    }

    /** Closing the socket ends the blocked write; no interrupt, so the thread goes on to serve others. */
    private void writeTimedOut() {
        log.debug("closing the connection from {}: it read nothing for {}", socket.getRemoteSocketAddress(), limits.idleTimeout());
        state.set(CLOSED);
        closeQuietly();
    }

    /**
     * Ends the connection if it is between requests with nothing arriving, without closing it under its
     * reader: shutting the input down wakes the reader with end-of-stream, and it closes the connection
     * and leaves the tracker itself. A reader that has just taken a request off the socket (and not yet
     * marked itself busy) still serves it; a connection whose next request is in the socket, or still
     * queued for a worker with its request sent, is busy. Either way no received request is dropped.
     * Returns true once the connection is closed.
     */
    @Override
    public boolean closeIfIdle() {
        if (state.get() == CLOSED) return true;
        if (state.get() != IDLE || pendingInput()) return false;
        try {
            socket.shutdownInput();
        } catch (IOException alreadyGone) {
            // closed meanwhile: its reader is ending
        }
        return false;
    }

    /**
     * Closes the connection now, and interrupts the thread serving it, so that a request still sleeping
     * or waiting for a GIL lets its thread go too. Shutdown calls this at the drain timeout: the interrupt
     * stays set, as the engine's own interrupts of its threads do, and the thread ends. Once the connection's
     * run() has returned, there is no thread to interrupt.
     */
    @Override
    public void forceClose() {
        state.set(CLOSED);
        closeQuietly();
        synchronized (runnerLock) {
            if (runner != null) runner.interrupt();
        }
    }

    private boolean pendingInput() {
        try {
            return input != null && input.available() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static InputStream inputOf(Socket socket) {
        try {
            return socket.getInputStream();
        } catch (IOException e) {
            return null;
        }
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing is best effort: the socket is gone either way.
        }
    }
}
