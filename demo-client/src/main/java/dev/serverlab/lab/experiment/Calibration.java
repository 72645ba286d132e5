package dev.serverlab.lab.experiment;

import dev.serverlab.api.app.Workloads;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.Format;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.launch.ServerProcess;
import dev.serverlab.lab.load.LabClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the Fibonacci n whose call takes about a target time on this machine, by timing single requests on
 * a fresh server (service time from its timing headers, so the network is left out). fib(n+1) takes about
 * φ ≈ 1.618 times as long as fib(n), so the search jumps close to the target in a step or two (each probe the
 * quicker of two timings), then takes the n whose time is nearest the target on a log scale, and times it three
 * more times: the median is t. Each variant's ideal uses the time of one fib(n) alone in its own JVM (see
 * {@code CompareCommand}), as JIT and load make the same n cost differently from one JVM to the next.
 *
 * @param engine  the engine that was timed
 * @param n       the Fibonacci argument chosen (or given)
 * @param perCall the median service time of fib(n): the t of the ideal totals
 * @param target  the time aimed at, or null when n was given
 * @param tried   every (n, micros) probed while searching, in order
 * @param samples the three timings of the chosen n, in micros
 */
public record Calibration(String engine, int n, Duration perCall, Duration target, List<long[]> tried, List<Long> samples) {

    private static final double PHI = (1 + Math.sqrt(5)) / 2;
    private static final int START = 27;

    /** Searches for the n nearest {@code target}, or times {@code fixedN} when it is not null. */
    public static Calibration run(ServerProcess server, Duration target, Integer fixedN, Duration timeout) throws InterruptedException {
        for (int i = 0; i < 3; i++) time(server, 24, timeout);   // let the JIT compile fib before timing it
        List<long[]> tried = new ArrayList<>();
        int n;
        if (fixedN != null) {
            n = fixedN;
        } else {
            double goal = target.toNanos() / 1e3;
            n = START;
            while (true) {
                long micros = probe(server, n, timeout);
                tried.add(new long[] {n, micros});
                if (micros * Math.sqrt(PHI) > goal) {
                    // n is the nearer one unless it overshot by more than half a step: then step back
                    while (micros > goal * Math.sqrt(PHI) && n > 1 && !timed(tried, n - 1)) {
                        n--;
                        micros = probe(server, n, timeout);
                        tried.add(new long[] {n, micros});
                    }
                    break;
                }
                if (n >= Workloads.MAX_FIB) break;
                int steps = (int) Math.floor(Math.log(goal / Math.max(micros, 1)) / Math.log(PHI));
                n = Math.min(Workloads.MAX_FIB, n + Math.max(1, steps - 1));
            }
        }
        List<Long> samples = new ArrayList<>();
        while (samples.size() < 3) samples.add(time(server, n, timeout));
        long[] sorted = samples.stream().mapToLong(Long::longValue).sorted().toArray();
        Duration perCall = Duration.ofNanos((long) (RunStats.median(sorted) * 1000));
        return new Calibration(server.engine(), n, perCall, fixedN == null ? target : null, List.copyOf(tried), List.copyOf(samples));
    }

    private static boolean timed(List<long[]> tried, int n) {
        return tried.stream().anyMatch(t -> t[0] == n);
    }

    /**
     * The quicker of two timings: on a shared machine a timing can only be slowed down by others, never sped up,
     * so the minimum is the better guess of what n costs.
     */
    private static long probe(ServerProcess server, int n, Duration timeout) throws InterruptedException {
        return Math.min(time(server, n, timeout), time(server, n, timeout));
    }

    /** One request for fib(n) alone; its service time in microseconds. */
    private static long time(ServerProcess server, int n, Duration timeout) throws InterruptedException {
        LabClient.Sample s = LabClient.fire(server.target("/fib/" + n), 1, timeout).get(0);
        if (!s.ok() || !s.hasServerTimes()) {
            throw new UserError(ExitCode.FAILED, "calibration failed: GET /fib/" + n + " on " + server.engine() + " answered "
                    + (s.error() != null ? s.error() : "status " + s.status() + " without timing headers"));
        }
        return Math.max(1, s.finishedMicros() - s.startedMicros());
    }

    /** "fib(40) takes 0.49 s (median of 3 on blocking; tried 27: 0.6 ms, 39: 0.30 s, 40: 0.49 s)". */
    public String describe() {
        StringBuilder b = new StringBuilder("fib(" + n + ") takes " + Format.seconds(perCall) + " (median of "
                + samples.size() + " on a fresh " + engine + " server");
        if (target != null) {
            b.append("; target ").append(Format.seconds(target)).append("; tried");
            for (long[] t : tried) b.append(' ').append(t[0]).append(": ").append(Format.micros(t[1])).append(',');
            b.setLength(b.length() - 1);
        }
        return b.append(')').toString();
    }
}
