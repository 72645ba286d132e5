package dev.serverlab.vertx;

import dev.serverlab.api.app.Request;
import io.vertx.core.Handler;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Replaces the blocked-thread checker's default report (a warning at every check while a thread stays
 * blocked, and a stack trace past {@code warningExceptionTime}) with one clear warning per server.
 *
 * <p>The checker runs on its own timer and only sees that a loop has been busy past the limit; it does not
 * know for how long it will be, nor why. So it marks the loop, and when an inline CPU step ends on a marked
 * loop, {@link Exchanges} reports it here with the request and the time it really took. The first such
 * report is a warning; later ones, and blocks that are not CPU work (the first request while classes load,
 * a GC pause), go to the debug log.
 */
final class BlockedLoopWarning implements Handler<BlockedThreadEvent> {

    private static final Logger log = LoggerFactory.getLogger(BlockedLoopWarning.class);

    private final Set<Thread> computingInline;
    private final Set<Thread> flagged = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean warned = new AtomicBoolean();
    private final AtomicInteger reports = new AtomicInteger();

    BlockedLoopWarning(Set<Thread> computingInline) {
        this.computingInline = computingInline;
    }

    /** Called by the checker's timer thread for each thread blocked past the limit, at every check. */
    @Override
    public void handle(BlockedThreadEvent event) {
        reports.incrementAndGet();
        Thread thread = event.thread();
        if (computingInline.contains(thread)) {
            flagged.add(thread);
        } else {
            log.debug("Thread {} has been blocked for {} ms (limit {} ms)", thread.getName(),
                    event.duration() / 1_000_000, event.maxExecTime() / 1_000_000);
        }
    }

    /** Called on the event loop when an inline CPU step that took {@code millis} ends. */
    void computed(Thread loop, Request request, long millis, long limitMillis) {
        if (!flagged.remove(loop)) return;
        if (warned.compareAndSet(false, true)) {
            log.warn("Thread {} was blocked for {} ms computing {} {} inline (limit {} ms): every connection on "
                    + "this event loop waited meanwhile. Run with --offload N to move CPU work to a worker pool. "
                    + "(Shown once; later reports go to the debug log.)", loop.getName(), millis, request.method(),
                    request.path(), limitMillis);
        } else {
            log.debug("Thread {} was blocked for {} ms computing {} {} inline", loop.getName(), millis, request.method(), request.path());
        }
    }

    /** Whether the warning was given. */
    boolean warned() {
        return warned.get();
    }

    /** How many times the checker reported a blocked thread. */
    int reports() {
        return reports.get();
    }
}
