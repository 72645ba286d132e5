package dev.serverlab.lab.experiment;

import java.time.Duration;

/**
 * One of the experiment's two kinds of request, as the lab runs it.
 *
 * @param kind       CPU-bound ({@code /fib/n}) or IO-bound ({@code /sleep/ms})
 * @param path       what each client asks for
 * @param perRequest how long one request takes alone: the calibrated Fibonacci time, or the wait
 * @param warmupPath a cheaper request of the same kind, for warming the server up
 */
public record Workload(Kind kind, String path, Duration perRequest, String warmupPath) {

    public enum Kind {
        CPU("cpu", "CPU-bound"), IO("io", "IO-bound");

        final String key;
        public final String title;

        Kind(String key, String title) {
            this.key = key;
            this.title = title;
        }
    }

    /** {@code /fib/n}, with a warm-up four steps smaller (about a seventh of the time). */
    public static Workload cpu(int n, Duration perCall) {
        return new Workload(Kind.CPU, "/fib/" + n, perCall, "/fib/" + Math.max(0, n - 4));
    }

    /** {@code /sleep/ms}, warmed up with short waits: the wait itself needs no warming, the paths around it do. */
    public static Workload io(Duration wait) {
        return new Workload(Kind.IO, "/sleep/" + wait.toMillis(), wait, "/sleep/" + Math.min(wait.toMillis(), 20));
    }

    /** {@code cpu} or {@code io}. */
    public String key() {
        return kind.key;
    }
}
