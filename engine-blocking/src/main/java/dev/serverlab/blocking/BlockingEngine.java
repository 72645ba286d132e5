package dev.serverlab.blocking;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.AcceptFailures;
import dev.serverlab.api.server.AccessLog;
import dev.serverlab.api.server.BlockingConnection;
import dev.serverlab.api.server.Connections;
import dev.serverlab.api.server.CpuRunner;
import dev.serverlab.api.server.Listener;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The experiment's naive server: one thread accepts a connection, serves it to completion, then accepts
 * the next. Everything else waits in the kernel's accept backlog.
 *
 * <pre>
 *   clients ──► [ kernel accept backlog ] ──► accept() ──► serve every request on it ──┐
 *                 (connections wait here)        ▲                                      │
 *                                                └──────────────────────────────────────┘
 * </pre>
 *
 * Ten clients asking for a 1 s sleep take 10 s: each one waits for all before it. A client that keeps
 * its connection open and idle holds the server until the idle timeout.
 *
 * <p>Limits: one connection is open at a time, so {@code maxConnections} never binds; every other
 * connection waits in the kernel's accept backlog ({@link Listener#BACKLOG}, capped by the kernel's
 * {@code somaxconn}), and past that the kernel drops new connection attempts. On close, connections still
 * in the backlog were never accepted: the kernel resets them, and their clients see a connection error.
 */
public final class BlockingEngine implements ServerEngine {

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
        ServerSocket listener = Listener.serverSocket(config);
        Server server = new Server(listener, config, application);
        server.thread.start();
        return server;
    }

    private static final class Server implements RunningServer {
        private final ServerSocket listener;
        private final EngineConfig config;
        private final Application application;
        private final Connections connections = new Connections();
        private final AccessLog accessLog;
        private final AcceptFailures acceptFailures = new AcceptFailures();
        private final Thread thread;
        private final InetSocketAddress address;
        private volatile boolean closed;

        Server(ServerSocket listener, EngineConfig config, Application application) {
            this.listener = listener;
            this.config = config;
            this.application = application;
            this.accessLog = new AccessLog(config.accessLog());
            this.address = (InetSocketAddress) listener.getLocalSocketAddress();
            this.thread = Thread.ofPlatform().name("blocking-server").unstarted(this::acceptLoop);
        }

        private void acceptLoop() {
            while (!closed) {
                Socket socket;
                try {
                    socket = listener.accept();
                } catch (IOException e) {
                    if (closed) return;
                    acceptFailures.failed(e);
                    continue;
                }
                accessLog.accepted(socket.getRemoteSocketAddress());
                new BlockingConnection(socket, Timing.nowMicros(), application, CpuRunner.INLINE,
                        config.limits(), connections, accessLog).run();
            }
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            try {
                listener.close();
            } catch (IOException ignored) {
                // already closed
            }
            connections.drain(config.limits().drainTimeout());
            try {
                thread.join(config.limits().drainTimeout().toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
