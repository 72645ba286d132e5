package dev.serverlab.virtual;

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
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One virtual thread per connection (JDK 21, no library): the thread-per-connection server written the
 * simple blocking way, without a pool to run out of.
 *
 * <pre>
 *   clients
 *      │
 *      ▼
 *   [ kernel accept backlog ]        waits here only once maxConnections are open
 *      │
 *   acceptor (platform thread)       accept(), stamp X-Accepted-At, start a virtual thread
 *      │
 *      ├──► virtual-1 ┐  one per connection, plain blocking code:
 *      ├──► virtual-2 │  a read or a sleep parks the virtual thread
 *      └──► ...       ┘  and frees its carrier for another
 *             │ mount ▲ park
 *             ▼       │
 *   [ ready virtual threads ]        wait here for a free carrier (CPU-bound work fills them)
 *             │
 *   carrier-1  carrier-2             one platform carrier thread per core (a ForkJoinPool)
 * </pre>
 *
 * <ul>
 *   <li><b>IO-bound work is free:</b> a sleep or a read parks the virtual thread and frees its carrier, so
 *       ten clients asking for a 300 ms sleep are all served in one round, and so would ten thousand.</li>
 *   <li><b>CPU-bound work is not:</b> the scheduler has one carrier per core and never time-slices a virtual
 *       thread. A fib request keeps its carrier until it is done, so CPU-bound requests run about
 *       {@code cores} at a time, each to completion, while the rest wait for a carrier (and so does every
 *       other request, even {@code GET /}). Platform threads, as in the threadpool engine, share the CPU
 *       instead: four fib requests on two cores all progress, each at half speed.</li>
 *   <li><b>{@code --gil}:</b> CPU steps run under a {@link Gil}, whose hand-overs park the waiting threads, so
 *       CPU-bound requests take turns every switch interval: all in service at once, one computing at a time,
 *       the total no better than serial.</li>
 *   <li><b>No pinning:</b> nothing on the request path blocks inside {@code synchronized}: the connection
 *       loop and the GIL use {@code java.util.concurrent} locks, so a blocked virtual thread always frees its
 *       carrier on JDK 21 too.</li>
 *   <li><b>{@link Limits#maxConnections()}</b> (10,000 by default): the acceptor takes a permit before each
 *       accept, so connections beyond the limit are not refused: they wait in the kernel's accept backlog
 *       ({@link Listener#BACKLOG}, capped by {@code net.core.somaxconn}) until one closes.</li>
 *   <li><b>Graceful close:</b> stop accepting; let every accepted connection's thread start and read the
 *       request already sent; then in-flight requests finish ({@link Connections#drain}) and the threads end.</li>
 * </ul>
 */
public final class VirtualThreadEngine implements ServerEngine {

    @Override
    public String name() {
        return "virtual";
    }

    @Override
    public String description() {
        return "one virtual thread per connection (JDK 21): blocking code, unbounded concurrency, CPU work cores at a time";
    }

    @Override
    public List<EngineOption> options() {
        return Gil.options();
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        CpuRunner cpu = Gil.fromConfig(config);
        ServerSocket listener = Listener.serverSocket(config);
        Server server = new Server(listener, config, application, cpu);
        server.acceptor.start();
        return server;
    }

    static final class Server implements RunningServer {

        private static final Logger log = LoggerFactory.getLogger(VirtualThreadEngine.class);
        /**
         * How long a connection's thread is given, once started, to read a request the client already sent
         * before shutdown may treat the connection as idle. Reading a buffered request takes microseconds.
         */
        private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

        private final ServerSocket listener;
        private final EngineConfig config;
        private final Application application;
        private final CpuRunner cpu;
        private final Connections connections = new Connections();
        private final AccessLog accessLog;
        private final InetSocketAddress address;
        /** One permit per open connection: the acceptor takes one before accept(). */
        private final Semaphore permits;
        private final ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("virtual-", 1).factory());
        /** Accepted connections whose virtual thread has not started yet (all carriers may be busy computing). */
        private final AtomicInteger pending = new AtomicInteger();
        private final AtomicLong lastStartNanos = new AtomicLong(System.nanoTime() - GRACE_NANOS);
        private final Thread acceptor;
        private final ReentrantLock closing = new ReentrantLock();
        private volatile boolean closed;
        /** When accept last failed with a warning; only the acceptor uses it. */
        private final AcceptFailures acceptFailures = new AcceptFailures();

        Server(ServerSocket listener, EngineConfig config, Application application, CpuRunner cpu) {
            this.listener = listener;
            this.config = config;
            this.application = application;
            this.cpu = cpu;
            this.accessLog = new AccessLog(config.accessLog());
            this.address = (InetSocketAddress) listener.getLocalSocketAddress();
            this.permits = new Semaphore(config.limits().maxConnections());
            this.acceptor = Thread.ofPlatform().name("virtual-acceptor").unstarted(this::acceptLoop);
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
                threads.execute(() -> serve(socket, acceptedMicros));
            }
        }

        /** Runs on the connection's own virtual thread. */
        private void serve(Socket socket, long acceptedMicros) {
            BlockingConnection c = new BlockingConnection(socket, acceptedMicros, application, cpu,
                    config.limits(), connections, accessLog);
            lastStartNanos.accumulateAndGet(System.nanoTime(), Math::max);
            pending.decrementAndGet();
            try {
                c.run();
            } catch (RuntimeException e) {
                log.warn("connection failed on {}", Thread.currentThread(), e);
                c.forceClose();
            } finally {
                permits.release();
            }
        }


        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public String details() {
            return "virtual thread per connection, carriers=" + carriers() + ", maxConnections="
                    + config.limits().maxConnections() + ", " + (cpu instanceof Gil gil ? gil.toString() : "no gil");
        }

        /** The default scheduler's parallelism: one carrier per core unless the user set it. */
        private static int carriers() {
            String set = System.getProperty("jdk.virtualThreadScheduler.parallelism");
            try {
                if (set != null) return Integer.parseInt(set.trim());
            } catch (NumberFormatException ignored) {
                // the JDK reports a bad value itself; show the default here
            }
            return Runtime.getRuntime().availableProcessors();
        }

        @Override
        public void close() {
            closing.lock();
            try {
                if (closed) return;
                closed = true;
                closeQuietly(listener);
                acceptor.interrupt();
                join(acceptor);
                long deadline = System.nanoTime() + config.limits().drainTimeout().toNanos();
                awaitStarts(deadline);
                connections.drain(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                // Every connection is closed now; wake threads still sleeping on a forced-closed request.
                threads.shutdownNow();
                Duration wait = config.limits().requestDeadline();
                if (!threads.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("connection threads did not stop within {}", wait);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closing.unlock();
            }
        }

        /**
         * Waits until every accepted connection's thread has started and had its grace to read: a connection
         * started once draining has begun would be closed unread. Under CPU load a new virtual thread may wait
         * long for a carrier; the drain timeout bounds that.
         */
        private void awaitStarts(long deadline) throws InterruptedException {
            while (System.nanoTime() - deadline < 0
                    && (pending.get() > 0 || System.nanoTime() - lastStartNanos.get() < GRACE_NANOS)) {
                Thread.sleep(10);
            }
        }

        /** Accepted connections not closed yet, their thread started or not; for tests. */
        int openConnections() {
            return pending.get() + connections.size();
        }

        /** True once every connection thread has ended; for tests. */
        boolean threadsTerminated() {
            return threads.isTerminated();
        }

        private static void join(Thread thread) {
            try {
                if (!thread.join(Duration.ofSeconds(5))) log.warn("{} did not stop", thread.getName());
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
