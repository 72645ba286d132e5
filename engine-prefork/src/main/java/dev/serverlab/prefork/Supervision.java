package dev.serverlab.prefork;

import java.time.Duration;

/**
 * How patient the parent is with its workers. The defaults suit JVMs that take about a second to start
 * on a busy machine; tests pass milliseconds to see a crash loop or a forced kill quickly.
 *
 * @param startTimeout how long a worker may take to report ready before it is killed
 * @param exitGrace    after the drain timeout, how long a stopping worker may take to exit before it is killed
 * @param stable       a worker that served this long before dying was healthy: its replacement starts at once
 * @param firstBackoff the wait before the replacement after the second quick death in a row; it doubles
 *                     with each further one
 * @param maxBackoff   the longest wait between two replacements of a slot
 */
record Supervision(Duration startTimeout, Duration exitGrace, Duration stable, Duration firstBackoff, Duration maxBackoff) {

    static final Supervision DEFAULTS = new Supervision(
            Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(30));

    /** Starts again at once after one quick death; then waits longer each time, so a crash loop stays cheap. */
    Duration backoff(int failures) {
        if (failures <= 1) return Duration.ZERO;
        Duration delay = firstBackoff.multipliedBy(1L << Math.min(failures - 2, 20));
        return delay.compareTo(maxBackoff) < 0 ? delay : maxBackoff;
    }
}
