package dev.serverlab.api.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * What an accept loop does when {@code accept()} fails: a client that reset first, or the server's own
 * shortage such as "too many open files". It says so now and then (not once per failure) and pauses
 * briefly, so the loop does not spin on the same failure. One per accept loop; not thread-safe.
 */
public final class AcceptFailures {

    private static final Logger log = LoggerFactory.getLogger(AcceptFailures.class);
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long PAUSE_MILLIS = 20;

    private long lastWarningNanos;

    /** Logs (throttled) and pauses; an interrupt during the pause is kept, so the loop sees it. */
    public void failed(IOException e) {
        long now = System.nanoTime();
        if (lastWarningNanos == 0 || now - lastWarningNanos > WARN_EVERY_NANOS) {
            lastWarningNanos = now;
            log.warn("accept failed, retrying: {}", e.toString());
        }
        try {
            Thread.sleep(PAUSE_MILLIS);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
