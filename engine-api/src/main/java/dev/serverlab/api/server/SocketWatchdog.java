package dev.serverlab.api.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gives blocking socket calls the timeouts they lack, without a timer per call: a client that stops
 * reading fills its window and the server's {@code write()} blocks forever; a keep-alive connection waits
 * for its next request with an untimed {@code read()} (a timed read on a virtual thread costs a scheduler
 * timer per wait). Either is watched here and the socket closed at its deadline.
 *
 * <pre>
 *   serving thread:  guard = watch(timeout, close)  ──► write() or idle read() ... ──► guard.close()
 *   watchdog:        every tick: a guard past its deadline ──► close the socket ──► the call throws
 * </pre>
 *
 * One daemon thread serves every server in the JVM. It runs only while calls are watched (and a second
 * after), so an idle JVM has no watchdog thread, and closing the last server leaves none behind. Deadlines
 * are kept to within one tick (100 ms).
 */
final class SocketWatchdog {

    static final SocketWatchdog SHARED = new SocketWatchdog(Duration.ofMillis(100), Duration.ofSeconds(1));

    /** One watched call. Closing it (when the call returns) stops the watch. */
    final class Guard implements AutoCloseable {
        private final long deadline;
        private final Runnable onTimeout;

        private Guard(long deadline, Runnable onTimeout) {
            this.deadline = deadline;
            this.onTimeout = onTimeout;
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

    /** Watches a call that must finish within {@code timeout}; after it, {@code onTimeout} runs once. */
    Guard watch(Duration timeout, Runnable onTimeout) {
        Guard guard = new Guard(System.nanoTime() + timeout.toNanos(), onTimeout);
        guards.add(guard);
        if (running.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("serverlab-socket-watchdog").start(this::patrol);
        }
        return guard;
    }

    /** The number of calls being watched, for tests. */
    int watched() {
        return guards.size();
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
            for (Guard guard : guards) {
                if (now - guard.deadline >= 0 && guards.remove(guard)) expire(guard);
            }
            if (!guards.isEmpty()) {
                lastBusy = now;
                continue;
            }
            if (now - lastBusy < lingerNanos) continue;
            running.set(false);
            // A watch() between the emptiness check and here saw running == true and started no thread.
            if (guards.isEmpty() || !running.compareAndSet(false, true)) return;
            lastBusy = now;
        }
    }

    private static void expire(Guard guard) {
        try {
            guard.onTimeout.run();
        } catch (RuntimeException ignored) {
            // Closing is best effort; one failure must not stop the watch over the others.
        }
    }
}
