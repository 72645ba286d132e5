package dev.serverlab.api.server;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The shell every thread engine shares, in the spirit of {@code com.sun.net.httpserver}'s
 * {@code setExecutor}: it listens, accepts, tracks connections and shuts down gracefully, and takes the
 * one thing the models differ in, the {@link Executor} that runs an accepted connection.
 *
 * <pre>
 *   clients ─► [ kernel accept backlog ] ─► acceptor thread ─► model.execute(connection) ─► BlockingConnection.run()
 *              waits here once              takes a permit,      inline: on the acceptor itself (blocking)
 *              maxConnections are open      accept(), stamp      a pool: queued for N threads  (threadpool)
 *                                           X-Accepted-At        a new virtual thread each     (virtual)
 * </pre>
 *
 * <ul>
 *   <li><b>{@link Limits#maxConnections()}:</b> the acceptor takes a permit before each {@code accept()} and
 *       the connection gives it back when it ends, so connections beyond the limit wait in the kernel's
 *       backlog ({@link Listener#BACKLOG}), not refused.</li>
 *   <li><b>The listener</b> is opened by {@link Listener#serverSocket(EngineConfig)}, so {@link EngineConfig#listen()}
 *       (bind, {@code SO_REUSEPORT}, or a socket inherited from a parent) holds for every thread engine.</li>
 *   <li><b>Graceful close:</b> stop accepting; let every accepted connection start and read the request its
 *       client already sent (a connection still queued, or waiting for a carrier, was accepted: it is served),
 *       freeing threads held by idle keep-alive connections so queued ones can start; then in-flight requests
 *       finish ({@link Connections#drain}) and the model's threads end. What is still queued when the drain
 *       timeout runs out is closed unserved, with a warning.</li>
 * </ul>
 */
public final class ThreadServer implements RunningServer {

    private static final Logger log = LoggerFactory.getLogger(ThreadServer.class);
    /**
     * How long a connection just started is given to read a request already on its way before shutdown may
     * treat it as idle. A request already sent is read within microseconds.
     */
    private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final ServerSocket listener;
    private final InetSocketAddress address;
    private final EngineConfig config;
    private final Application application;
    private final CpuRunner cpu;
    private final Executor model;
    private final String details;
    private final Connections connections = new Connections();
    private final AccessLog accessLog;
    private final AcceptFailures acceptFailures = new AcceptFailures();
    private final Semaphore permits;
    /** Accepted connections the model has not started yet: queued for a thread, or for a carrier. */
    private final AtomicInteger unstarted = new AtomicInteger();
    private final AtomicLong lastStartNanos = new AtomicLong(System.nanoTime() - GRACE_NANOS);
    private final Thread acceptor;
    private final ReentrantLock closing = new ReentrantLock();
    /** True from just before the acceptor checks {@link #closed} until its accepted socket is counted. */
    private volatile boolean accepting;
    private volatile boolean closed;
    /** Set once draining is over: a connection started after that is closed unread. */
    private volatile boolean drained;

    private ThreadServer(ServerSocket listener, EngineConfig config, Application application, CpuRunner cpu,
                         Executor model, String acceptorName, String details) {
        this.listener = listener;
        this.address = (InetSocketAddress) listener.getLocalSocketAddress();
        this.config = config;
        this.application = application;
        this.cpu = cpu;
        this.model = model;
        this.details = details;
        this.accessLog = new AccessLog(config.accessLog());
        this.permits = new Semaphore(config.limits().maxConnections());
        this.acceptor = Thread.ofPlatform().name(acceptorName).unstarted(this::acceptLoop);
    }

    /**
     * Listens as {@code config} says and starts accepting on a platform thread named {@code acceptorName};
     * each accepted connection is handed to {@code model}, which the server shuts down on close when it is
     * an {@link ExecutorService}.
     */
    public static ThreadServer start(EngineConfig config, Application application, CpuRunner cpu, Executor model,
                                     String acceptorName, String details) throws IOException {
        ThreadServer server = new ThreadServer(Listener.serverSocket(config), config, application, cpu, model,
                acceptorName, details);
        server.acceptor.start();
        return server;
    }

    private void acceptLoop() {
        while (true) {
            permits.acquireUninterruptibly();   // close() releases one to wake this
            accepting = true;
            if (closed) break;
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                accepting = false;
                permits.release();
                if (closed) break;
                acceptFailures.failed(e);
                continue;
            }
            long acceptedMicros = Timing.nowMicros();
            accessLog.accepted(socket.getRemoteSocketAddress());
            unstarted.incrementAndGet();
            accepting = false;
            try {
                model.execute(new Accepted(socket, acceptedMicros));
            } catch (RejectedExecutionException e) {
                unstarted.decrementAndGet();
                permits.release();
                closeQuietly(socket);
            }
        }
        accepting = false;
    }

    /** An accepted connection, until the model runs it on the thread that serves it. */
    private final class Accepted implements Runnable {
        private final Socket socket;
        private final long acceptedMicros;

        Accepted(Socket socket, long acceptedMicros) {
            this.socket = socket;
            this.acceptedMicros = acceptedMicros;
        }

        @Override
        public void run() {
            lastStartNanos.accumulateAndGet(System.nanoTime(), Math::max);
            if (drained) {
                unstarted.decrementAndGet();
                closeQuietly(socket);
                permits.release();
                return;
            }
            BlockingConnection c = new BlockingConnection(socket, acceptedMicros, application, cpu,
                    config.limits(), connections, accessLog);
            unstarted.decrementAndGet();   // after the tracker has it: openConnections() never dips
            try {
                c.run();
            } catch (RuntimeException e) {
                // A bug must cost one connection, not a pool thread or the acceptor.
                log.warn("connection failed on {}", Thread.currentThread(), e);
                c.forceClose();
            } finally {
                permits.release();
            }
        }
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String details() {
        return details;
    }

    @Override
    public void close() {
        closing.lock();
        try {
            if (closed) return;
            closed = true;
            closeQuietly(listener);
            permits.release();
            long deadline = System.nanoTime() + config.limits().drainTimeout().toNanos();
            awaitStarts(deadline);
            connections.drain(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            drained = true;
            stopModel();
            join(acceptor, Duration.ofSeconds(5));
        } finally {
            closing.unlock();
        }
    }

    /**
     * Waits until every accepted connection has started and had its grace to read: a connection started once
     * draining has begun would be closed unread. Threads held by idle keep-alive connections are freed so that
     * queued ones can start (the idle client is between requests, so nothing is lost).
     */
    private void awaitStarts(long deadline) {
        while (System.nanoTime() - deadline < 0) {
            boolean quiet = System.nanoTime() - lastStartNanos.get() >= GRACE_NANOS;
            if (quiet && !accepting && unstarted.get() == 0) return;
            if (quiet) connections.closeIdle();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Ends the model's threads; every connection is closed now, and the interrupt wakes a forced-closed sleep. */
    private void stopModel() {
        if (!(model instanceof ExecutorService threads)) return;
        List<Runnable> queued = threads.shutdownNow();
        for (Runnable r : queued) {
            if (r instanceof Accepted a) closeQuietly(a.socket);
            permits.release();
        }
        if (!queued.isEmpty()) {
            unstarted.addAndGet(-queued.size());
            log.warn("closed {} queued connections unserved: the drain timeout of {} ran out", queued.size(),
                    config.limits().drainTimeout());
        }
        Duration wait = config.limits().requestDeadline();
        try {
            if (!threads.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("connection threads did not stop within {}", wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How this server runs CPU steps: inline, or under its {@link Gil}, whose counters tests read. */
    public CpuRunner cpu() {
        return cpu;
    }

    /** Accepted connections not closed yet, started or not; for tests. */
    public int openConnections() {
        return unstarted.get() + connections.size();
    }

    /** Accepted connections the model has not started yet; for tests. */
    public int waiting() {
        return unstarted.get();
    }

    /** True once the acceptor and the model's threads have ended; for tests. */
    public boolean threadsTerminated() {
        return !acceptor.isAlive() && (!(model instanceof ExecutorService threads) || threads.isTerminated());
    }

    private static void join(Thread thread, Duration timeout) {
        try {
            if (!thread.join(timeout)) log.warn("{} did not stop within {}", thread.getName(), timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort: the socket is gone either way
        }
    }
}
