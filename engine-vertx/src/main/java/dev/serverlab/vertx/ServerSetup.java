package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;
import io.vertx.core.WorkerExecutor;

import java.util.concurrent.atomic.AtomicInteger;

/** What every verticle instance of one server shares. */
final class ServerSetup {

    private static final AccessLog SILENT = new AccessLog(false);

    final String host;
    final Application application;
    final Limits limits;
    /** The worker pool CPU work runs on, or null to run it inline on the event loop. */
    final WorkerExecutor offload;
    final BlockedLoopWarning warning = new BlockedLoopWarning();
    /** Connections open across every instance, for {@code maxConnections}. */
    final AtomicInteger open = new AtomicInteger();
    private final AccessLog accessLog;
    private volatile boolean quiet;
    volatile boolean draining;

    ServerSetup(String host, Application application, Limits limits, AccessLog accessLog, WorkerExecutor offload) {
        this.host = host;
        this.application = application;
        this.limits = limits;
        this.accessLog = accessLog;
        this.offload = offload;
    }

    /** The access log, or a silent one during the warm-up. */
    AccessLog accessLog() {
        return quiet ? SILENT : accessLog;
    }

    /** While quiet (the warm-up), neither the access log nor the warning speaks. */
    ServerSetup quiet(boolean on) {
        quiet = on;
        warning.quiet = on;
        return this;
    }
}
