package dev.serverlab.lab.load;

import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A keep-alive HTTP/1.1 load generator: a few selector threads, each driving its share of the connections
 * with non-blocking IO. The request is encoded once; buffers are reused; a response is only framed, not
 * parsed, so a request costs no allocation.
 *
 * <pre>
 *   closed loop:  connect ─► send ─► wait for the answer ─► send ─► ...        (the server sets the pace)
 *
 *   open loop:    schedule  t0   t0+1/R   t0+2/R ...   one global schedule, dealt out to the connections
 *                 a connection sends its next request at its intended time, or at once when the previous
 *                 answer comes back after that time; latency counts from the intended time, so a stalled
 *                 server is charged for the requests it kept waiting (coordinated omission, as wrk2 fixes)
 * </pre>
 *
 * Each thread ({@link LoadWorker}) owns its connections, its histogram and its counters: the threads share
 * nothing but the clock, a progress counter and the measured window, and the results are merged at the end.
 * This class coordinates: it warms up until the rate is steady, then opens the measured window, reads the
 * server's CPU time at both of its edges, and merges.
 */
public final class LoadGenerator {

    /**
     * What to run.
     *
     * @param rate requests per second for the open loop; 0 for the closed loop
     */
    public record Plan(Target target, int connections, int threads, Warmup warmup, Duration duration, double rate, Duration timeout) {
        public Plan {
            if (connections < 1) throw new IllegalArgumentException("connections must be at least 1");
            if (threads < 1 || threads > connections) threads = Math.max(1, Math.min(threads, connections));
        }

        public boolean openLoop() {
            return rate > 0;
        }
    }

    /**
     * How long to warm up: at least {@code least}; then until the last {@value #STEADY_SECONDS} one-second
     * rates agree within {@value #STEADY_SPREAD_PERCENT}%; at most {@code most}. A fixed warm-up has both equal.
     */
    public record Warmup(Duration least, Duration most) {
        public Warmup {
            if (least.compareTo(most) > 0) throw new IllegalArgumentException("warm-up: least " + least + " is above most " + most);
        }

        public static Warmup fixed(Duration d) {
            return new Warmup(d, d);
        }

        public static Warmup untilSteady(Duration least, Duration most) {
            return new Warmup(least, most);
        }

        public boolean isFixed() {
            return least.equals(most);
        }
    }

    /** One-second rates that must agree before the measured window opens. */
    public static final int STEADY_SECONDS = 3;
    /** How far apart they may be: (max − min) as a percentage of their mean. */
    public static final int STEADY_SPREAD_PERCENT = 5;
    /** How far ahead of its start the window is announced: every worker wakes at least every 100 ms. */
    private static final long WINDOW_LEAD_NANOS = 250_000_000L;

    /** The errors, by kind, in the measured part of a run. */
    public record Errors(long connect, long timeout, long reset, long non2xx, long protocol) {
        public long total() {
            return connect + timeout + reset + non2xx + protocol;
        }
    }

    /**
     * What a run measured: responses and latencies from the measured window (after warm-up), and the
     * totals of the whole run, warm-up and the drain at the end included.
     *
     * @param latency        microseconds; in the open loop from each request's intended send time
     * @param serviceTime    microseconds from the actual send; the same as latency in the closed loop
     * @param windowStart    System.nanoTime() when the measured window opened
     * @param warmupSeconds  how long the warm-up took
     * @param warmupSteady   whether the rate was steady when it ended (false: it hit its limit)
     * @param serverCpuNanos user + system CPU time of the server's processes over the measured window; -1 unknown
     * @param totalSent      requests written over the whole run
     * @param totalAnswered  responses received over the whole run
     * @param unfinished     requests still unanswered when the run ended
     */
    public record Result(Plan plan, double seconds, long responses, Histogram latency, Histogram serviceTime, Errors errors,
                         long windowStart, double warmupSeconds, boolean warmupSteady, long serverCpuNanos,
                         long totalSent, long totalAnswered, long unfinished) {
        public double requestsPerSecond() {
            return seconds > 0 ? responses / seconds : 0;
        }

        /** Server CPU time per answered request in microseconds; NaN when unknown or nothing was answered. */
        public double serverCpuMicrosPerRequest() {
            return serverCpuNanos < 0 || responses == 0 ? Double.NaN : serverCpuNanos / 1e3 / responses;
        }
    }

    /** Sees the progress once a second, from the thread that called {@link #run}. */
    public interface Progress {
        void tick(double elapsedSeconds, boolean warmingUp, double currentRate, long errors);
    }

    private LoadGenerator() {
    }

    /** Runs the plan to its end and returns what it measured, without the server's CPU time. */
    public static Result run(Plan plan, Progress progress) throws InterruptedException {
        return run(plan, progress, null);
    }

    /**
     * Runs the plan to its end and returns what it measured.
     *
     * @param serverCpuNanos reads the server's CPU time so far, or null when there is no server process to read
     */
    public static Result run(Plan plan, Progress progress, LongSupplier serverCpuNanos) throws InterruptedException {
        byte[] request = ("GET " + plan.target().path() + " HTTP/1.1\r\nHost: " + plan.target().host() + ":" + plan.target().port()
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer encoded = ByteBuffer.allocateDirect(request.length).put(request).flip();
        long t0 = System.nanoTime();
        List<LoadWorker> workers = new ArrayList<>();
        for (int w = 0; w < plan.threads(); w++) {
            List<Integer> mine = new ArrayList<>();
            for (int c = w; c < plan.connections(); c += plan.threads()) mine.add(c);
            try {
                workers.add(new LoadWorker(plan, encoded.asReadOnlyBuffer(), mine, t0));
            } catch (IOException e) {
                workers.forEach(LoadWorker::closeQuietly);
                throw new UserError(ExitCode.FAILED, "cannot open a selector: " + e.getMessage());
            }
        }
        Window window = new Window(plan, t0, workers, serverCpuNanos);
        if (plan.warmup().isFixed()) window.open(t0 + plan.warmup().least().toNanos(), false);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers.size(); w++) {
            threads.add(Thread.ofPlatform().name("bench-io-" + (w + 1)).daemon().start(workers.get(w)));
        }
        try {
            coordinate(plan, progress, t0, workers, threads, window);
        } catch (InterruptedException e) {
            workers.forEach(w -> w.stop = true);
            for (Thread t : threads) t.join(2000);
            throw e;
        }
        for (LoadWorker w : workers) {
            if (w.failure != null) throw new UserError(ExitCode.FAILED, "the load generator failed: " + w.failure);
        }
        return merge(plan, workers, window);
    }

    /** Ticks the progress once a second, opens the window once the rate is steady, and reads the CPU at its edges. */
    private static void coordinate(Plan plan, Progress progress, long t0, List<LoadWorker> workers, List<Thread> threads, Window window)
            throws InterruptedException {
        List<Double> rates = new ArrayList<>();
        long lastCount = 0;
        long lastTick = t0;
        while (true) {
            Thread alive = threads.stream().filter(Thread::isAlive).findFirst().orElse(null);
            if (alive == null) return;
            long now = System.nanoTime();
            long wakeAt = Math.min(lastTick + 1_000_000_000L, window.nextEdge());
            alive.join(Duration.ofNanos(Math.max(100_000L, wakeAt - now)));
            now = System.nanoTime();
            window.sampleEdges(now);
            if (now >= window.end && window.nextEdge() == Long.MAX_VALUE) {
                for (Thread t : threads) t.join();   // the workers drain what is in flight and stop by themselves
                return;
            }
            if (now - lastTick < 1_000_000_000L || now >= window.end) continue;
            long count = workers.stream().mapToLong(w -> w.progress.getOpaque()).sum();
            long errors = workers.stream().mapToLong(w -> w.progressErrors.getOpaque()).sum();
            double rate = (count - lastCount) * 1e9 / (now - lastTick);
            progress.tick((now - t0) / 1e9, now < window.from, rate, errors);
            lastCount = count;
            lastTick = now;
            if (window.from == Long.MAX_VALUE) {
                rates.add(rate);
                Duration warmed = Duration.ofNanos(now - t0);
                boolean steady = warmed.compareTo(plan.warmup().least()) >= 0 && steady(rates);
                if (steady || warmed.compareTo(plan.warmup().most()) >= 0) window.open(now + WINDOW_LEAD_NANOS, steady);
            }
        }
    }

    /** Whether the last {@value #STEADY_SECONDS} rates lie within {@value #STEADY_SPREAD_PERCENT}% of their mean. */
    static boolean steady(List<Double> rates) {
        if (rates.size() < STEADY_SECONDS) return false;
        List<Double> last = rates.subList(rates.size() - STEADY_SECONDS, rates.size());
        double min = last.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = last.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double mean = last.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        return max - min <= mean * STEADY_SPREAD_PERCENT / 100.0;
    }

    private static Result merge(Plan plan, List<LoadWorker> workers, Window window) {
        Histogram latency = new Histogram(3);
        Histogram service = new Histogram(3);
        long responses = 0, sent = 0, answered = 0, unfinished = 0;
        long connect = 0, timeout = 0, reset = 0, non2xx = 0, protocol = 0;
        for (LoadWorker w : workers) {
            latency.add(w.latency);
            service.add(w.serviceTime);
            responses += w.responses;
            sent += w.totalSent;
            answered += w.totalAnswered;
            unfinished += w.unfinished;
            connect += w.connectErrors;
            timeout += w.timeouts;
            reset += w.resets;
            non2xx += w.non2xx;
            protocol += w.protocolErrors;
        }
        long cpu = window.cpuAtFrom >= 0 && window.cpuAtEnd >= 0 ? window.cpuAtEnd - window.cpuAtFrom : -1;
        return new Result(plan, (window.end - window.from) / 1e9, responses, latency, service,
                new Errors(connect, timeout, reset, non2xx, protocol), window.from, (window.from - window.t0) / 1e9, window.steady, cpu,
                sent, answered, unfinished);
    }

    /** The measured window: announced to the workers ahead of its start, with the server's CPU time read at its edges. */
    private static final class Window {
        final Plan plan;
        final long t0;
        final List<LoadWorker> workers;
        final LongSupplier cpu;
        long from = Long.MAX_VALUE;
        long end = Long.MAX_VALUE;
        boolean steady;
        long cpuAtFrom = -1;
        long cpuAtEnd = -1;

        Window(Plan plan, long t0, List<LoadWorker> workers, LongSupplier cpu) {
            this.plan = plan;
            this.t0 = t0;
            this.workers = workers;
            this.cpu = cpu;
        }

        void open(long at, boolean wasSteady) {
            from = at;
            end = at + plan.duration().toNanos();
            steady = wasSteady;
            for (LoadWorker w : workers) w.open(from, end);
        }

        /** The next edge whose CPU time is still to be read. */
        long nextEdge() {
            if (cpu == null) return Long.MAX_VALUE;
            if (cpuAtFrom < 0) return from;
            return cpuAtEnd < 0 ? end : Long.MAX_VALUE;
        }

        void sampleEdges(long now) {
            if (cpu == null) return;
            if (cpuAtFrom < 0 && now >= from) cpuAtFrom = cpu.getAsLong();
            if (cpuAtEnd < 0 && now >= end) cpuAtEnd = cpu.getAsLong();
        }
    }
}
