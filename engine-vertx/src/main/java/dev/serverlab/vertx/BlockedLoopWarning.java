package dev.serverlab.vertx;

import io.vertx.core.Handler;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Replaces the blocked-thread checker's default report (a warning every check while a thread stays blocked,
 * and a stack trace past {@code warningExceptionTime}) with one clear warning per server: the first time an
 * event loop is seen running CPU work past the limit. Later reports, and blocks that are not CPU work
 * (a long first request while classes load, a GC pause), go to the debug log.
 */
final class BlockedLoopWarning implements Handler<BlockedThreadEvent> {

    private static final Logger log = LoggerFactory.getLogger(BlockedLoopWarning.class);

    private final Set<Thread> computingInline;
    private final AtomicBoolean warned = new AtomicBoolean();
    private final AtomicInteger reports = new AtomicInteger();

    BlockedLoopWarning(Set<Thread> computingInline) {
        this.computingInline = computingInline;
    }

    @Override
    public void handle(BlockedThreadEvent event) {
        reports.incrementAndGet();
        Thread thread = event.thread();
        long ms = event.duration() / 1_000_000;
        long limit = event.maxExecTime() / 1_000_000;
        if (computingInline.contains(thread) && warned.compareAndSet(false, true)) {
            log.warn("Thread {} has been busy for {} ms so far (limit {} ms) computing a request inline: every connection "
                    + "on this event loop waits until it is done. Run with --offload N to move CPU work to a worker "
                    + "pool. (Shown once; later reports go to the debug log.)", thread.getName(), ms, limit);
        } else {
            log.debug("Thread {} has been blocked for {} ms (limit {} ms)", thread.getName(), ms, limit);
        }
    }

    /** Whether the warning was given. */
    boolean warned() {
        return warned.get();
    }

    /** How many times the checker reported a blocked thread, warned or not. */
    int reports() {
        return reports.get();
    }
}
