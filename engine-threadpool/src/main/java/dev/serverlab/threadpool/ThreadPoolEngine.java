package dev.serverlab.threadpool;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.CpuRunner;
import dev.serverlab.api.server.Gil;
import dev.serverlab.api.server.Listener;
import dev.serverlab.api.server.ThreadServer;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

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
 * The whole model is {@link #pool}: the {@link ThreadServer} shell accepts and hands each connection to
 * a fixed thread pool, whose queue is where requests wait.
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
 *   <li><b>Graceful close</b> (the shell's): stop accepting; the threads go on serving the queue, and a thread
 *       held by an idle keep-alive connection is freed by closing it; then in-flight requests finish.</li>
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
        int threads = config.workersOr(DEFAULT_THREADS);
        String details = "threads=" + threads + ", queue up to maxConnections=" + config.limits().maxConnections()
                + ", " + (cpu instanceof Gil gil ? gil.toString() : "no gil");
        return ThreadServer.start(config, application, cpu, pool(threads), "threadpool-acceptor", details);
    }

    /** N platform threads and an unbounded queue in front of them (the shell's permits bound it). */
    static ExecutorService pool(int threads) {
        return Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("threadpool-", 1).factory());
    }
}
