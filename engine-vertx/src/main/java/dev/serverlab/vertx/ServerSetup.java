package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;
import io.vertx.core.WorkerExecutor;

import java.util.concurrent.atomic.AtomicInteger;

/** What every verticle instance of one server shares: the application, the limits, and the server's state. */
final class ServerSetup {

    private static final AccessLog SILENT = new AccessLog(false);

    final String host;
    final Application application;
    final Limits limits;
    final BlockedLoopWarning warning = new BlockedLoopWarning();
    /** Connections open across every instance, for {@code maxConnections}. */
    final AtomicInteger open = new AtomicInteger();
    private final AccessLog accessLog;
    /** The worker pool CPU work runs on, or null to run it inline on the event loop. */
    final WorkerExecutor offload;
    private volatile boolean quiet;
    private volatile boolean draining;

    ServerSetup(String host, Application application, Limits limits, AccessLog accessLog, WorkerExecutor offload) {
        this.host = host;
        this.application = application;
        this.limits = limits;
        this.accessLog = accessLog;
        this.offload = offload;
    }

    /** The access log, or a silent one while the server warms up on its private port. */
    AccessLog accessLog() {
        return quiet ? SILENT : accessLog;
    }

    void quiet(boolean on) {
        quiet = on;
        warning.quiet(on);
    }

    boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }
}
