package dev.serverlab.api.app;

/**
 * The experiment's two kinds of work, with the bounds that keep one request from taking a server for
 * minutes.
 */
public final class Workloads {

    /** The largest Fibonacci argument served: fib(45) takes a few seconds on a current core. */
    public static final int MAX_FIB = 45;
    /** The longest wait served, in milliseconds. */
    public static final int MAX_SLEEP_MS = 60_000;

    /** How many calls between safepoint polls: rare enough to cost nothing, often enough for a 1 ms switch. */
    private static final int POLL_MASK = (1 << 12) - 1;

    private Workloads() {
    }

    /** Recursive Fibonacci, deliberately exponential: the experiment's CPU-bound work. */
    public static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    /** {@link #fib(int)}, polling {@code safepoint} every few thousand calls. */
    public static long fib(int n, Safepoint safepoint) {
        if (safepoint == Safepoint.NONE) return fib(n);
        return new PollingFib(safepoint).fib(n);
    }

    private static final class PollingFib {
        private final Safepoint safepoint;
        private int calls;

        PollingFib(Safepoint safepoint) {
            this.safepoint = safepoint;
        }

        long fib(int n) {
            if ((++calls & POLL_MASK) == 0) safepoint.poll();
            return n < 2 ? n : fib(n - 1) + fib(n - 2);
        }
    }
}
