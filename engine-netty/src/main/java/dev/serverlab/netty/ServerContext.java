package dev.serverlab.netty;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;

import java.util.concurrent.ExecutorService;

/** What every connection of one server shares. */
final class ServerContext {

    private final Application application;
    private final Limits limits;
    private final AccessLog accessLog;
    private final ExecutorService offload;
    private volatile boolean draining;

    /**
     * @param offload the pool CPU work runs on, or null to run it inline on the event loop
     */
    ServerContext(Application application, Limits limits, AccessLog accessLog, ExecutorService offload) {
        this.application = application;
        this.limits = limits;
        this.accessLog = accessLog;
        this.offload = offload;
    }

    Application application() {
        return application;
    }

    Limits limits() {
        return limits;
    }

    AccessLog accessLog() {
        return accessLog;
    }

    /** The CPU-work pool, or null when CPU work runs inline on the event loop. */
    ExecutorService offload() {
        return offload;
    }

    /** True once shutdown began: responses say {@code Connection: close} and connections end after them. */
    boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }
}
