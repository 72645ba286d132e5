package dev.serverlab.nio;

import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * An event loop's timers: deeds for later, run in deadline order. The nearest one decides how long the
 * loop may sleep in {@code select}, which is how a wait costs no thread. Used by the loop's thread only.
 */
final class Timers {

    /** {@code seq} keeps timers with equal deadlines first-in, first-out. */
    private record Timer(long at, long seq, Runnable action) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(at - o.at, 0); // nanoTime order: compare differences, never raw values
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Timer> queue = new PriorityQueue<>();
    private long seq;

    /** Runs {@code action} once {@link System#nanoTime()} reaches {@code at}. */
    void at(long at, Runnable action) {
        queue.add(new Timer(at, seq++, action));
    }

    /** Nanoseconds until the next timer is due (0 or less when one is due now), or -1 when there is none. */
    long nanosToNext(long now) {
        Timer next = queue.peek();
        return next == null ? -1 : Math.max(0, next.at - now);
    }

    /** Runs every timer due by {@code now}, in deadline order; a failing one is reported and the rest still run. */
    void runDue(long now, Consumer<RuntimeException> failed) {
        Timer t;
        while ((t = queue.peek()) != null && t.at - now <= 0) {
            queue.poll();
            try {
                t.action.run();
            } catch (RuntimeException e) {
                failed.accept(e);
            }
        }
    }
}
