package dev.serverlab.vertx;

import dev.serverlab.api.app.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one warning an inline CPU step earns: the event loop was busy past {@link #LIMIT_MILLIS} and every
 * connection on it waited. The verticle times the step itself and reports it here once it ends, so the
 * warning names the request and the time it really took; the first is a warning, later ones go to the
 * debug log. (Vert.x's own blocked-thread checker would warn at every check while the loop stays blocked:
 * a flood for a long step. It stays on with a limit far above any inline step, for what is not ours.)
 */
final class BlockedLoopWarning {

    static final long LIMIT_MILLIS = 5;
    private static final Logger log = LoggerFactory.getLogger(BlockedLoopWarning.class);

    private final AtomicBoolean warned = new AtomicBoolean();
    private final AtomicInteger reports = new AtomicInteger();
    private volatile boolean quiet;

    /** Called on the event loop when an inline CPU step that took {@code millis} ends. */
    void computed(Request request, long millis) {
        if (millis <= LIMIT_MILLIS || quiet) return;
        reports.incrementAndGet();
        String loop = Thread.currentThread().getName();
        if (warned.compareAndSet(false, true)) {
            log.warn("Thread {} was blocked for {} ms computing {} {} inline (limit {} ms): every connection on "
                    + "this event loop waited meanwhile. Run with --offload N to move CPU work to a worker pool. "
                    + "(Shown once; later reports go to the debug log.)", loop, millis, request.method(),
                    request.path(), LIMIT_MILLIS);
        } else {
            log.debug("Thread {} was blocked for {} ms computing {} {} inline", loop, millis, request.method(), request.path());
        }
    }

    /** While quiet (the warm-up), nothing is reported. */
    void quiet(boolean on) {
        quiet = on;
    }

    boolean warned() {
        return warned.get();
    }

    /** How many inline steps went past the limit. */
    int reports() {
        return reports.get();
    }
}
