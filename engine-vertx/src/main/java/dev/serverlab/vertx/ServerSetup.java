package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;
import io.vertx.core.WorkerExecutor;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** What every verticle instance of one server shares. */
final class ServerSetup {

    private static final AccessLog SILENT = new AccessLog(false);

    private final String host;
    private volatile int port;
    private final Application application;
    private final Limits limits;
    private final AccessLog accessLog;
    private final Screens screens;
    private volatile WorkerExecutor offload;
    private volatile boolean draining;
    private volatile boolean quiet;
    /** Event-loop threads running CPU work inline right now, for the blocked-thread warning. */
    private final Set<Thread> computingInline = ConcurrentHashMap.newKeySet();
    private final BlockedLoopWarning blockedLoopWarning = new BlockedLoopWarning(computingInline);

    ServerSetup(String host, int port, Application application, Limits limits, AccessLog accessLog, Screens screens) {
        this.host = host;
        this.port = port;
        this.application = application;
        this.limits = limits;
        this.accessLog = accessLog;
        this.screens = screens;
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    /**
     * The port the verticles listen on. Instances share a server by its port number, so port 0 would give
     * each its own; Vert.x's "-1" means one ephemeral port shared by every instance that asks for -1.
     */
    int listenPort() {
        return port == 0 ? -1 : port;
    }

    /** The port actually bound, once the instances listen. */
    void port(int actual) {
        this.port = actual;
    }

    Application application() {
        return application;
    }

    Limits limits() {
        return limits;
    }

    /** The access log, or a silent one while the server warms up. */
    AccessLog accessLog() {
        return quiet ? SILENT : accessLog;
    }

    void quiet(boolean on) {
        quiet = on;
        screens.quiet(on);
    }

    Screens screens() {
        return screens;
    }

    /** The worker pool CPU work runs on, or null to run it inline on the event loop. */
    WorkerExecutor offload() {
        return offload;
    }

    void offload(WorkerExecutor executor) {
        this.offload = executor;
    }

    boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

    Set<Thread> computingInline() {
        return computingInline;
    }

    BlockedLoopWarning blockedLoopWarning() {
        return blockedLoopWarning;
    }
}
