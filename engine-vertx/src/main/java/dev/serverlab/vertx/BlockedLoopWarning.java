package dev.serverlab.vertx;

import dev.serverlab.api.app.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one warning an inline CPU step earns: its event loop was busy past {@link #LIMIT_MILLIS} and every
 * connection on it waited. The verticle times the step and reports it here when it ends, so the warning
 * names the request and the time it took; the first is a warning, later ones go to the debug log.
 * (Vert.x's own blocked-thread checker warns at every check while a loop stays blocked: a flood.)
 */
final class BlockedLoopWarning {

    static final long LIMIT_MILLIS = 5;
    private static final Logger log = LoggerFactory.getLogger(BlockedLoopWarning.class);

    /** How many inline steps went past the limit; the first one warned. */
    final AtomicInteger reports = new AtomicInteger();
    volatile boolean quiet;

    void computed(Request request, long millis) {
        if (millis <= LIMIT_MILLIS || quiet) return;
        String loop = Thread.currentThread().getName();
        if (reports.getAndIncrement() == 0) {
            log.warn("Thread {} was blocked for {} ms computing {} {} inline (limit {} ms): every connection on "
                    + "this event loop waited meanwhile. Run with --offload N to move CPU work to a worker pool. "
                    + "(Shown once; later reports go to the debug log.)", loop, millis, request.method(),
                    request.path(), LIMIT_MILLIS);
        } else {
            log.debug("Thread {} was blocked for {} ms computing {} {} inline", loop, millis, request.method(), request.path());
        }
    }
}
