package dev.serverlab.nio;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;
import dev.serverlab.api.server.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The event loop, written by hand: the experiment's asyncio. One thread and one {@link java.nio.channels.Selector}
 * serve every connection; nothing blocks but the wait for readiness.
 *
 * <pre>
 *   clients ──► accept (on nio-loop-1) ──► the loop with the fewest connections
 *                                              │
 *          ┌───────────────── nio-loop-K: one thread, one Selector ──────────────────┐
 *          │  select ─► read ─► parse ─► application ─► write ─► select ...          │
 *          │                                 │                                       │
 *          │   Sleep: a timer in the loop ───┤ (the loop serves others meanwhile)    │
 *          │   Compute, inline (default) ────┤ (the loop serves NOBODY meanwhile)    │
 *          │   Compute, --offload N ─────────┼──► pool nio-offload-1..N              │
 *          │                                 │      └─ result ─► task queue + wakeup │
 *          └─────────────────────────────────────────────────────────────────────────┘
 * </pre>
 *
 * Ten clients asking for a 1 s sleep finish together in about 1 s: the wait is a timer, no thread holds
 * it. Ten asking for CPU work are served one after another, each stalling every other connection, unless
 * {@code --offload N} hands the work to N threads. {@code --loops N} runs N loops, each on its own thread.
 * {@code --workers} is refused: here it could mean loops or offload threads, so the engine asks for the one
 * that is meant. The model lives in {@link EventLoop} (select, dispatch, tasks, timers); a connection's life
 * is {@link Connection}'s, and where a request's work runs is {@link Dispatch}'s.
 */
public final class NioEngine implements ServerEngine {

    static final String LOOPS = "loops";
    static final String OFFLOAD = "offload";

    private static final Logger log = LoggerFactory.getLogger(NioEngine.class);

    @Override
    public String name() {
        return "nio";
    }

    @Override
    public String description() {
        return "hand-written selector event loop: one thread serves every connection; waits are timers, CPU work stalls the loop unless offloaded";
    }

    @Override
    public List<EngineOption> options() {
        return List.of(
                new EngineOption(LOOPS, EngineOption.Kind.COUNT,
                        "selector loops, one thread each; new connections go to the loop with the fewest (default 1)"),
                new EngineOption(OFFLOAD, EngineOption.Kind.COUNT,
                        "run CPU work on a pool of N threads instead of on the loop (default: on the loop)"));
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        int loops = config.count(LOOPS, 1);
        int offloadThreads = config.count(OFFLOAD, 0);
        ServerSocketChannel listener = Listener.channel(config, false);
        ExecutorService offload = offloadThreads == 0 ? null
                : Executors.newFixedThreadPool(offloadThreads, Thread.ofPlatform().name("nio-offload-", 1).daemon().factory());
        AccessLog accessLog = new AccessLog(config.accessLog());
        Service service = new Service(application, config.limits(), accessLog, offload);
        List<EventLoop> group = new ArrayList<>(loops);
        Acceptor acceptor;
        try {
            for (int i = 0; i < loops; i++) group.add(new EventLoop("nio-loop-" + (i + 1), service));
            acceptor = new Acceptor(listener, config.limits().maxConnections(), group);
            acceptor.listen();
        } catch (IOException | RuntimeException e) {
            for (EventLoop loop : group) loop.discard();
            listener.close();
            if (offload != null) offload.shutdownNow();
            throw e;
        }
        for (EventLoop loop : group) loop.start();
        String details = "loops=" + loops + ", cpu work " + (offload == null ? "inline on the loop" : "on " + offloadThreads + " offload threads");
        log.debug("nio listening on {} with {}", listener.socket().getLocalSocketAddress(), details);
        return new Server((InetSocketAddress) listener.socket().getLocalSocketAddress(), details, acceptor, group, offload, config,
                new AtomicBoolean());
    }

    /**
     * A started group of loops, and the offload pool if there is one.
     *
     * @param closed set by the first {@link #close()}; later calls wait for it (they lock the same record) and return
     */
    record Server(InetSocketAddress address, String details, Acceptor acceptor, List<EventLoop> loops, ExecutorService offload,
                  EngineConfig config, AtomicBoolean closed) implements RunningServer {

        /** Connections open on every loop; for tests. */
        int openConnections() {
            return acceptor.openConnections();
        }

        /** True once every loop thread and offload thread has ended; for tests. */
        boolean released() {
            return loops.stream().noneMatch(loop -> loop.thread().isAlive()) && (offload == null || offload.isTerminated());
        }

        /**
         * Stops accepting first and waits for that, so no connection is handed to a loop that has begun to
         * drain; then every loop drains until the shared deadline; then the offload pool stops.
         */
        @Override
        public synchronized void close() {
            if (!closed.compareAndSet(false, true)) return;
            long timeout = config.limits().drainTimeout().toNanos();
            long deadline = System.nanoTime() + timeout;
            EventLoop home = loops.get(0);
            CompletableFuture<Void> stopped = new CompletableFuture<>();
            home.execute(() -> {
                acceptor.stop();
                stopped.complete(null);
            });
            try {
                stopped.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                log.warn("{} did not stop accepting in time: {}", home.thread().getName(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (EventLoop loop : loops) loop.execute(() -> loop.drain(deadline));
            try {
                for (EventLoop loop : loops) {
                    long left = Math.max(0, deadline - System.nanoTime()) + TimeUnit.SECONDS.toNanos(2);
                    loop.thread().join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    if (loop.thread().isAlive()) {
                        log.warn("{} did not stop in time: CPU work running on it cannot be interrupted", loop.thread().getName());
                    }
                }
                if (offload != null) {
                    offload.shutdownNow();
                    if (!offload.awaitTermination(2, TimeUnit.SECONDS)) {
                        log.warn("nio: offload threads are still computing after shutdown; they are daemon threads and will not hold the JVM");
                    }
                }
            } catch (InterruptedException e) {
                if (offload != null) offload.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
