package dev.serverlab.threadpool;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.AccessLog;
import dev.serverlab.api.server.AcceptFailures;
import dev.serverlab.api.server.BlockingConnection;
import dev.serverlab.api.server.Connections;
import dev.serverlab.api.server.CpuRunner;
import dev.serverlab.api.server.Gil;
import dev.serverlab.api.server.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The experiment's {@code thread.py}: a fixed pool of platform threads serves the connections; the
 * connections beyond the pool wait in a queue for a free thread.
 *
 * <pre>
 *   clients
 *      │
 *      ▼
 *   [ kernel accept backlog ]            waits here only once maxConnections are open
 *      │
 *   acceptor thread                      accept(), stamp X-Accepted-At
 *      │
 *      ▼
 *   [ queue of accepted connections ]    waits here while every thread is busy
 *      │
 *      ├──► threadpool-1 ┐
 *      ├──► threadpool-2 │  each serves one connection to its end, then takes the next;
 *      ├──► threadpool-3 │  reading, fib and sleep all block the thread
 *      └──► threadpool-4 ┘  (--gil: CPU steps take turns holding one lock)
 * </pre>
 *
 * <ul>
 *   <li><b>Where requests wait:</b> in the pool's queue, from accept until a thread is free. The acceptor
 *       accepts at once so that the wait is visible: {@code X-Started-At} minus {@code X-Accepted-At} is the
 *       time in the queue. The queue is bounded by {@link Limits#maxConnections()} (10,000 by default),
 *       counting queued and served connections together; past that the acceptor stops and new connections
 *       wait in the kernel's accept backlog ({@link Listener#BACKLOG}, capped by {@code net.core.somaxconn}).</li>
 *   <li><b>Everything blocks its thread:</b> reading a request, computing fib, sleeping. Ten clients on four
 *       threads take three rounds. A thread keeps its connection until the client closes it or it idles out
 *       ({@link Limits#idleTimeout()}), so keep-alive clients beyond four wait, as they did on thread.py.</li>
 *   <li><b>{@code --gil}:</b> CPU steps run under a {@link Gil}. Four fib requests are then all in service at
 *       once, each about four times slower than alone, and together no faster than serial: the Python result.
 *       Without it, Java threads compute in parallel on every core.</li>
 *   <li><b>Graceful close:</b> stop accepting; the threads go on serving the queue, and a thread held by an
 *       idle keep-alive connection is freed by closing it, so no accepted connection is dropped unserved;
 *       then in-flight requests finish ({@link Connections#drain}) and the threads end.</li>
 * </ul>
 */
public final class ThreadPoolEngine implements ServerEngine {

    /** The pool size of the original experiment. */
    public static final int DEFAULT_THREADS = 4;

    @Override
    public String name() {
        return "threadpool";
    }

    @Override
    public String description() {
        return "thread.py: a fixed pool of platform threads (default 4) serves connections; the rest wait in a queue";
    }

    @Override
    public List<EngineOption> options() {
        return List.of(EngineOption.workers("threads in the pool (default " + DEFAULT_THREADS + ")"),
                Gil.OPTION, Gil.SWITCH_INTERVAL_OPTION);
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        CpuRunner cpu = Gil.fromConfig(config);
        ServerSocket listener = Listener.serverSocket(config);
        Server server = new Server(listener, config, application, cpu, config.workersOr(DEFAULT_THREADS));
        server.start();
        return server;
    }

    /** A connection accepted but not yet served, and when it was accepted. */
    private record Accepted(Socket socket, long acceptedMicros) {
    }

    static final class Server implements RunningServer {

        private static final Logger log = LoggerFactory.getLogger(ThreadPoolEngine.class);
        /**
         * How long a connection a thread has just taken is given to read its request before shutdown may
         * treat it as idle. A client that already sent its request is read within microseconds.
         */
        private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

        private final ServerSocket listener;
        private final EngineConfig config;
        private final Application application;
        private final CpuRunner cpu;
        private final Connections connections = new Connections();
        private final AccessLog accessLog;
        private final InetSocketAddress address;
        /** One permit per connection open, queued or served: the acceptor takes one before accept(). */
        private final Semaphore permits;
        private final BlockingQueue<Accepted> queue = new LinkedBlockingQueue<>();
        /** Accepted connections no thread has started yet: those in the queue, and one being taken. */
        private final AtomicInteger pending = new AtomicInteger();
        private final Thread acceptor;
        private final List<Worker> workers = new ArrayList<>();
        private final ReentrantLock closing = new ReentrantLock();
        private volatile boolean closed;
        /** When accept last failed with a warning; only the acceptor uses it. */
        private final AcceptFailures acceptFailures = new AcceptFailures();

        Server(ServerSocket listener, EngineConfig config, Application application, CpuRunner cpu, int threads) {
            this.listener = listener;
            this.config = config;
            this.application = application;
            this.cpu = cpu;
            this.accessLog = new AccessLog(config.accessLog());
            this.address = (InetSocketAddress) listener.getLocalSocketAddress();
            this.permits = new Semaphore(config.limits().maxConnections());
            this.acceptor = Thread.ofPlatform().name("threadpool-acceptor").unstarted(this::acceptLoop);
            for (int i = 1; i <= threads; i++) workers.add(new Worker("threadpool-" + i));
        }

        void start() {
            for (Worker w : workers) w.thread.start();
            acceptor.start();
        }

        private void acceptLoop() {
            while (!closed) {
                try {
                    permits.acquire();
                } catch (InterruptedException e) {
                    return;   // close() stops the acceptor
                }
                Socket socket;
                try {
                    socket = listener.accept();
                } catch (IOException e) {
                    permits.release();
                    if (closed) return;
                    acceptFailures.failed(e);
                    continue;
                }
                long acceptedMicros = Timing.nowMicros();
                accessLog.accepted(socket.getRemoteSocketAddress());
                pending.incrementAndGet();
                queue.add(new Accepted(socket, acceptedMicros));
            }
        }

        /** One pool thread: takes the next accepted connection and serves it to its end. */
        private final class Worker implements Runnable {
            private final Thread thread;
            private volatile BlockingConnection connection;
            private volatile long sinceNanos;

            Worker(String name) {
                this.thread = Thread.ofPlatform().name(name).unstarted(this);
            }

            @Override
            public void run() {
                try {
                    while (true) serve(queue.take());
                } catch (InterruptedException e) {
                    // close() ends the pool once every connection is done
                }
            }

            private void serve(Accepted next) {
                BlockingConnection c = new BlockingConnection(next.socket(), next.acceptedMicros(), application, cpu,
                        config.limits(), connections, accessLog);
                sinceNanos = System.nanoTime();
                connection = c;
                pending.decrementAndGet();
                try {
                    c.run();
                } catch (RuntimeException e) {
                    // A bug must cost one connection, not a pool thread.
                    log.warn("connection failed on {}", thread.getName(), e);
                    c.forceClose();
                } finally {
                    connection = null;
                    permits.release();
                }
            }

            /** True when this thread serves nothing, or took its connection before {@code nanos}. */
            boolean startedBefore(long nanos) {
                return connection == null || sinceNanos - nanos <= 0;
            }

            /** Frees this thread if its connection is between requests and has had its grace to send one. */
            void closeIdleStartedBefore(long nanos) {
                BlockingConnection c = connection;
                if (c != null && sinceNanos - nanos <= 0) c.closeIfIdle();
            }
        }


        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public String details() {
            return "threads=" + workers.size() + ", queue up to maxConnections=" + config.limits().maxConnections()
                    + ", " + (cpu instanceof Gil gil ? gil.toString() : "no gil");
        }

        @Override
        public void close() {
            closing.lock();
            try {
                if (closed) return;
                closed = true;
                closeQuietly(listener);
                acceptor.interrupt();
                join(acceptor, Duration.ofSeconds(5));
                long deadline = System.nanoTime() + config.limits().drainTimeout().toNanos();
                serveQueue(deadline);
                connections.drain(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                dropUnserved();
                // Every connection is closed now; wake threads still sleeping on a forced-closed request.
                for (Worker w : workers) w.thread.interrupt();
                for (Worker w : workers) join(w.thread, config.limits().requestDeadline());
            } finally {
                closing.unlock();
            }
        }

        /**
         * Lets the threads take every queued connection before draining begins: a connection started once
         * draining has begun would be closed unread. Threads held by idle keep-alive connections are freed by
         * closing those (the client is between requests, so nothing is lost).
         */
        private void serveQueue(long deadline) {
            while (System.nanoTime() - deadline < 0) {
                long graceStart = System.nanoTime() - GRACE_NANOS;
                if (pending.get() == 0 && workers.stream().allMatch(w -> w.startedBefore(graceStart))) return;
                for (Worker w : workers) w.closeIdleStartedBefore(graceStart);
                if (!pause()) return;
            }
        }

        /** Closes what is still queued when the drain timeout ran out before a thread was free. */
        private void dropUnserved() {
            List<Accepted> left = new ArrayList<>();
            queue.drainTo(left);
            for (Accepted a : left) {
                closeQuietly(a.socket());
                pending.decrementAndGet();
                permits.release();
            }
            if (!left.isEmpty()) {
                log.warn("closed {} queued connections unserved: the drain timeout of {} ran out", left.size(),
                        config.limits().drainTimeout());
            }
        }

        /** Accepted connections not closed yet, queued or served; for tests. */
        int openConnections() {
            return pending.get() + connections.size();
        }

        /** Accepted connections that no thread has started yet; for tests. */
        int waiting() {
            return pending.get();
        }

        private static boolean pause() {
            try {
                Thread.sleep(10);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
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
}
