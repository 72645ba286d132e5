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

    /**
     * Below this n, fib runs without polling: fib(22) is about 57,000 calls, well under a millisecond, so a
     * GIL still switches well within a 1 ms interval, and the polling costs nothing measurable.
     */
    private static final int POLL_BELOW = 22;

    private Workloads() {
    }

    /** Recursive Fibonacci, deliberately exponential: the experiment's CPU-bound work. */
    public static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    /**
     * {@link #fib(int)}, polling {@code safepoint} at each call above {@link #POLL_BELOW}: the same
     * calls and the same result, with a poll at least every millisecond of work.
     */
    public static long fib(int n, Safepoint safepoint) {
        if (safepoint == Safepoint.NONE || n < POLL_BELOW) return fib(n);
        safepoint.poll();
        return fib(n - 1, safepoint) + fib(n - 2, safepoint);
    }
}
