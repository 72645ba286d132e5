package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.server.AccessLog;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** What every verticle instance of one server shares. */
final class ServerSetup {

    /** An inline CPU step longer than this kept its event loop from every other connection: it is reported. */
    static final long SLOW_STEP_MILLIS = 5;
    private static final Logger log = LoggerFactory.getLogger(ServerSetup.class);
    private static final AccessLog SILENT = new AccessLog(false);

    final String host;
    final Application application;
    final Limits limits;
    /** The worker pool CPU work runs on, or null to run it inline on the event loop. */
    final WorkerExecutor offload;
    /** Connections open across every instance, for {@code maxConnections}. */
    final AtomicInteger open = new AtomicInteger();
    /** Inline CPU steps past {@link #SLOW_STEP_MILLIS}; the first one warned. */
    final AtomicInteger slowSteps = new AtomicInteger();
    private final AccessLog accessLog;
    /** During the warm-up: neither the access log nor the warning speaks. */
    volatile boolean quiet;
    final AtomicBoolean draining = new AtomicBoolean();

    ServerSetup(String host, Application application, Limits limits, AccessLog accessLog, WorkerExecutor offload) {
        this.host = host;
        this.application = application;
        this.limits = limits;
        this.accessLog = accessLog;
        this.offload = offload;
    }

    AccessLog accessLog() {
        return quiet ? SILENT : accessLog;
    }

    /**
     * The one warning inline CPU work earns, with the request and the time it really took; later ones go to
     * the debug log. (Vert.x's own blocked-thread checker warns at every check while a loop stays blocked.)
     */
    void computedInline(Request request, long millis) {
        if (millis <= SLOW_STEP_MILLIS || quiet) return;
        String loop = Thread.currentThread().getName();
        if (slowSteps.getAndIncrement() == 0) {
            log.warn("Thread {} was blocked for {} ms computing {} {} inline (limit {} ms): every connection on "
                    + "this event loop waited meanwhile. Run with --offload N to move CPU work to a worker pool. "
                    + "(Shown once; later reports go to the debug log.)", loop, millis, request.method(),
                    request.path(), SLOW_STEP_MILLIS);
        } else {
            log.debug("Thread {} was blocked for {} ms computing {} {} inline", loop, millis, request.method(), request.path());
        }
    }
}
