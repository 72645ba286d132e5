package dev.serverlab.api.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gives blocking socket calls the timeouts they lack, without a timer per call: a client that stops
 * reading fills its window and the server's {@code write()} blocks forever; a keep-alive connection waits
 * for its next request with an untimed {@code read()} (a timed read on a virtual thread costs a scheduler
 * timer per wait). Either is watched here and the socket closed at its deadline.
 *
 * <pre>
 *   connection opens:  guard = register()                  once: a place in the watched set
 *   each call:         guard.arm(timeout, close) ──► write() or idle read() ... ──► guard.disarm()
 *   watchdog:          every tick: a guard armed past its deadline ──► close the socket ──► the call throws
 *   connection ends:   guard.close()
 * </pre>
 *
 * Arming and disarming is one volatile write each, so a request's two watched calls (its read and its
 * write) cost no allocation and no shared map; the set changes only as connections come and go.
 *
 * <p>One daemon thread serves every server in the JVM. It runs only while guards are registered (and a
 * second after), so an idle JVM has no watchdog thread, and closing the last server leaves none behind.
 * Deadlines are kept to within one tick (100 ms).
 */
final class SocketWatchdog {

    static final SocketWatchdog SHARED = new SocketWatchdog(Duration.ofMillis(100), Duration.ofSeconds(1));

    /** What {@link Guard#deadline} holds while no call is watched. */
    private static final long DISARMED = Long.MIN_VALUE;

    /** One connection's guard, armed around each blocking call. Closing it unregisters it. */
    final class Guard implements AutoCloseable {
        /** {@link System#nanoTime()} by which the armed call must return, or {@link #DISARMED}. */
        private final AtomicLong deadline = new AtomicLong(DISARMED);
        /** Written before {@link #deadline}, so the watchdog that reads an armed deadline sees it. */
        private Runnable onTimeout;
        /** Watches one call only ({@link #watch}): expiring ends it, as closing does. */
        private final boolean once;

        private Guard(boolean once) {
            this.once = once;
        }

        /** Watches the call about to start: if it has not returned within {@code timeoutNanos}, {@code onTimeout} runs once. */
        void arm(long timeoutNanos, Runnable onTimeout) {
            this.onTimeout = onTimeout;
            long at = System.nanoTime() + timeoutNanos;
            deadline.set(at == DISARMED ? at + 1 : at);
        }

        /** The call returned in time. */
        void disarm() {
            deadline.set(DISARMED);
        }

        boolean armed() {
            return deadline.get() != DISARMED;
        }

        /** Expires this guard if its call is past its deadline at {@code now}; only once per arming. */
        private void check(long now) {
            long at = deadline.get();
            if (at == DISARMED || now - at < 0) return;
            Runnable action = onTimeout; // read before the CAS: a later arming first disarms, so the CAS would fail
            if (!deadline.compareAndSet(at, DISARMED)) return;
            if (once) close();
            expire(action);
        }

        @Override
        public void close() {
            guards.remove(this);
        }
    }

    private final long tickNanos;
    private final long lingerNanos;
    private final Set<Guard> guards = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean running = new AtomicBoolean();

    SocketWatchdog(Duration tick, Duration linger) {
        this.tickNanos = tick.toNanos();
        this.lingerNanos = linger.toNanos();
    }

    /** A guard for one connection's calls, disarmed; close it when the connection ends. */
    Guard register() {
        return register(false);
    }

    private Guard register(boolean once) {
        Guard guard = new Guard(once);
        guards.add(guard);
        if (running.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("serverlab-socket-watchdog").start(this::patrol);
        }
        return guard;
    }

    /** Watches one call that must finish within {@code timeout}: a guard of its own, armed; close it when the call returns. */
    Guard watch(Duration timeout, Runnable onTimeout) {
        Guard guard = register(true);
        guard.arm(timeout.toNanos(), onTimeout);
        return guard;
    }

    /** The number of calls being watched (armed and not yet expired), for tests. */
    int watched() {
        int armed = 0;
        for (Guard guard : guards) {
            if (guard.armed()) armed++;
        }
        return armed;
    }

    private void patrol() {
        long lastBusy = System.nanoTime();
        while (true) {
            try {
                TimeUnit.NANOSECONDS.sleep(tickNanos);
            } catch (InterruptedException e) {
                // Nobody interrupts this thread; if someone does, keep watching rather than strand the callers.
            }
            long now = System.nanoTime();
            for (Guard guard : guards) guard.check(now);
            if (!guards.isEmpty()) {
                lastBusy = now;
                continue;
            }
            if (now - lastBusy < lingerNanos) continue;
            running.set(false);
            // A register() between the emptiness check and here saw running == true and started no thread.
            if (guards.isEmpty() || !running.compareAndSet(false, true)) return;
            lastBusy = now;
        }
    }

    private static void expire(Runnable onTimeout) {
        try {
            onTimeout.run();
        } catch (RuntimeException ignored) {
            // Closing is best effort; one failure must not stop the watch over the others.
        }
    }
}
