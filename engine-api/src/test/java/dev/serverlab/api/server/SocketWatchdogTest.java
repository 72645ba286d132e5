package dev.serverlab.api.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class SocketWatchdogTest {

    private final SocketWatchdog watchdog = new SocketWatchdog(Duration.ofMillis(10), Duration.ofMillis(200));

    @Test
    void aWriteStillWatchedAtItsDeadlineIsClosedOnce() throws InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        long start = System.nanoTime();
        watchdog.watch(Duration.ofMillis(100), () -> {
            calls.incrementAndGet();
            closed.countDown();
        });
        assertThat(closed.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(watchdog.watched()).isZero();
        assertThat(calls).hasValue(1);
    }

    @Test
    void aWriteThatFinishesInTimeIsLeftAlone() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (SocketWatchdog.Guard ignored = watchdog.watch(Duration.ofSeconds(30), calls::incrementAndGet)) {
            assertThat(watchdog.watched()).isEqualTo(1);
        }
        assertThat(watchdog.watched()).isZero();
        awaitNoWatchdogThread();
        assertThat(calls).hasValue(0);
    }

    @Test
    void theThreadRunsOnlyWhileWritesAreWatched() throws Exception {
        SocketWatchdog.Guard guard = watchdog.watch(Duration.ofSeconds(30), () -> { });
        assertThat(watchdogThreads()).isPositive();
        guard.close();
        awaitNoWatchdogThread();
        // and it comes back for the next watched write
        CountDownLatch closed = new CountDownLatch(1);
        watchdog.watch(Duration.ofMillis(20), closed::countDown);
        assertThat(closed.await(10, TimeUnit.SECONDS)).isTrue();
        awaitNoWatchdogThread();
    }

    private static void awaitNoWatchdogThread() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (watchdogThreads() > 0) {
            assertThat(System.nanoTime() - deadline).as("the watchdog thread ends once nothing is watched").isNegative();
            Thread.sleep(20);
        }
    }

    private static long watchdogThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("serverlab-socket-watchdog")).count();
    }
}
