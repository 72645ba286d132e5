package dev.serverlab.blocking;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.CpuRunner;
import dev.serverlab.api.server.Listener;
import dev.serverlab.api.server.ThreadServer;

import java.io.IOException;
import java.util.concurrent.Executor;

/**
 * The experiment's naive server ({@code naive.py}): one thread accepts a connection, serves it to
 * completion, then accepts the next. Everything else waits in the kernel's accept backlog.
 *
 * <pre>
 *   clients ──► [ kernel accept backlog ] ──► accept() ──► serve every request on it ──┐
 *                 (connections wait here)        ▲                                      │
 *                                                └──────────────────────────────────────┘
 * </pre>
 *
 * The whole model is {@link #INLINE}: the {@link ThreadServer} shell hands each accepted connection to
 * an executor that runs it on the calling thread, which is the accepting thread. Ten clients asking for a
 * 1 s sleep take 10 s: each one waits for all before it. A client that keeps its connection open and idle
 * holds the server until the idle timeout.
 *
 * <p>Limits: one connection is open at a time, so {@code maxConnections} never binds; every other
 * connection waits in the kernel's accept backlog ({@link Listener#BACKLOG}, capped by the kernel's
 * {@code somaxconn}), and past that the kernel drops new connection attempts. On close, connections still
 * in the backlog were never accepted: the kernel resets them, and their clients see a connection error.
 * Prefork's workers run this engine on a listening socket they share ({@link EngineConfig#listen()}).
 */
public final class BlockingEngine implements ServerEngine {

    /** Runs the connection on the thread that accepted it: the next accept waits until it is done. */
    static final Executor INLINE = Runnable::run;

    @Override
    public String name() {
        return "blocking";
    }

    @Override
    public String description() {
        return "naive serial server: one thread accepts and serves one connection at a time";
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        return ThreadServer.start(config, application, CpuRunner.INLINE, INLINE, "blocking-server", "");
    }
}
