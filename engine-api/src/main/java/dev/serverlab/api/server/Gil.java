package dev.serverlab.api.server;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Safepoint;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A global interpreter lock that behaves like CPython's, for the thread engines' {@code --gil} switch:
 * the experiment's threaded result (each CPU-bound request about N times slower, the total no better
 * than serial) replayed on Java threads.
 *
 * <pre>
 *              ├─ 5 ms ─┤
 *   thread A   ██████████┐poll                 ┌██████████┐
 *   thread B   ..........└██████████┐poll      │          └ ...
 *   thread C   .....................└██████████┘poll
 *   thread D   sleep (holds no lock) ──────────► then queues for its turn like the others
 *
 *   ██ holds the lock and computes     .... waits in the lock's first-come, first-served queue
 * </pre>
 *
 * <ul>
 *   <li>A thread holds the lock while it runs a CPU step ({@link Reply.Compute}); nothing else needs it.
 *       A wait ({@link Reply.Sleep}) runs without it, as {@code time.sleep} releases the GIL.</li>
 *   <li>The holder gives the lock up at the next {@link Safepoint#poll()} once it has held it for the
 *       switch interval (5 ms by default, like {@code sys.getswitchinterval()}) and another thread is
 *       waiting. Alone, it never stops. CPython measures the interval on the waiter's side (a thread that
 *       waited 5 ms sets a drop request); under contention the two amount to the same time slices.</li>
 *   <li>The lock is fair: a thread that gives it up joins the back of the queue, so waiting threads take
 *       turns, like CPython's forced switching since 3.2.</li>
 *   <li>{@link ReentrantLock}, never {@code synchronized}: a virtual thread waiting for its turn parks
 *       and frees its carrier instead of pinning it (JDK 21).</li>
 * </ul>
 */
public final class Gil implements CpuRunner {

    /** CPython's default switch interval. */
    public static final Duration DEFAULT_SWITCH_INTERVAL = Duration.ofMillis(5);

    /** The {@code --gil} option of the thread engines. */
    public static final EngineOption OPTION = new EngineOption("gil", EngineOption.Kind.FLAG,
            "run CPU work under a global interpreter lock, as CPython threads do");
    /** The {@code --switch-interval} option: how long a thread may keep the GIL while others wait. */
    public static final EngineOption SWITCH_INTERVAL_OPTION = new EngineOption("switch-interval", EngineOption.Kind.DURATION,
            "with --gil: how long a thread keeps the lock while others wait (default 5ms, like sys.getswitchinterval())");

    private final ReentrantLock lock = new ReentrantLock(true);
    private final long intervalNanos;
    private final Duration interval;
    private final Safepoint safepoint = this::poll;
    /** When the current holder took the lock; written and read only by the holder. */
    private long heldSinceNanos;
    /** How many times a holder gave the lock to a waiting thread; written only by the holder. */
    private volatile long switches;
    /** Evidence for tests and the curious, all written by the holder: turns taken, time held, most holders seen. */
    private volatile long acquisitions;
    private volatile long heldNanos;
    private final AtomicInteger holders = new AtomicInteger();
    private final AtomicInteger mostHolders = new AtomicInteger();

    public Gil(Duration switchInterval) {
        if (switchInterval == null || switchInterval.isNegative() || switchInterval.isZero()) {
            throw new IllegalArgumentException("the switch interval must be positive, not " + switchInterval);
        }
        this.interval = switchInterval;
        this.intervalNanos = switchInterval.toNanos();
    }

    /** The two options above, for an engine's {@code options()} list. */
    public static List<EngineOption> options() {
        return List.of(OPTION, SWITCH_INTERVAL_OPTION);
    }

    /**
     * The CPU runner {@code config} asks for: a new GIL when {@code --gil} is on, otherwise
     * {@link CpuRunner#INLINE}. A switch interval without {@code --gil} is an error, not silently ignored.
     */
    public static CpuRunner fromConfig(EngineConfig config) {
        boolean gil = config.flag(OPTION.name());
        if (!gil && config.options().containsKey(SWITCH_INTERVAL_OPTION.name())) {
            throw new ConfigException("--switch-interval sets the GIL's switch interval: add --gil to turn the GIL on");
        }
        return gil ? new Gil(config.duration(SWITCH_INTERVAL_OPTION.name(), DEFAULT_SWITCH_INTERVAL)) : INLINE;
    }

    /** Runs the work on the calling thread once it holds the lock, giving it up at safepoints as above. */
    @Override
    public Reply run(Reply.CpuWork work) {
        acquire();
        try {
            return work.run(safepoint);
        } finally {
            release();
        }
    }

    public Duration switchInterval() {
        return interval;
    }

    /** How many times so far a thread gave the lock up because another was waiting. */
    public long switches() {
        return switches;
    }

    /** How many times a thread took the lock: once per CPU step, and again after every switch. */
    public long acquisitions() {
        return acquisitions;
    }

    /** The total time threads have held the lock: with one holder at a time, no more than the time passed. */
    public Duration held() {
        return Duration.ofNanos(heldNanos);
    }

    /** The most threads ever seen holding the lock at once: 1 once it has been used, or the GIL is broken. */
    public int mostHoldersAtOnce() {
        return mostHolders.get();
    }

    @Override
    public String toString() {
        long micros = interval.toNanos() / 1000;
        return "gil switch-interval=" + (micros % 1000 == 0 ? micros / 1000 + "ms" : micros + "us");
    }

    private void acquire() {
        lock.lock();
        if (lock.getHoldCount() > 1) return;   // nested: the outer turn goes on
        mostHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
        acquisitions = acquisitions + 1;
        heldSinceNanos = System.nanoTime();
    }

    private void release() {
        if (lock.getHoldCount() == 1) {
            heldNanos = heldNanos + (System.nanoTime() - heldSinceNanos);
            holders.decrementAndGet();
        }
        lock.unlock();
    }

    /** The check CPython makes between bytecodes. Only the holder of the lock, not nested, may switch. */
    private void poll() {
        if (!lock.hasQueuedThreads() || lock.getHoldCount() != 1) return;
        if (System.nanoTime() - heldSinceNanos < intervalNanos) return;
        switches = switches + 1;
        release();
        // A fair lock queues us behind every thread already waiting: they all run before we do again.
        acquire();
    }
}
