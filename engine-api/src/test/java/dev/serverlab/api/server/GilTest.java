package dev.serverlab.api.server;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.app.Headers;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.app.Safepoint;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GilTest {

    /** Spins for about {@code micros} of wall time: a stand-in for bytecodes between two checks. */
    private static void spin(long micros) {
        long end = System.nanoTime() + micros * 1000;
        while (System.nanoTime() - end < 0) Thread.onSpinWait();
    }

    @Test
    void aThreadAloneKeepsTheLock() {
        Gil gil = new Gil(Duration.ofMillis(1));
        gil.run(safepoint -> {
            for (int i = 0; i < 500; i++) {
                spin(50);
                safepoint.poll();
            }
            return null;
        });
        assertThat(gil.switches()).isZero();
        assertThat(gil.acquisitions()).isEqualTo(1);
        assertThat(gil.held()).isGreaterThanOrEqualTo(Duration.ofMillis(25));   // 500 spins of 50 µs
        assertThat(gil.mostHoldersAtOnce()).isEqualTo(1);
    }

    @Test
    void aNestedTurnIsOneTurnWithOneHolder() {
        Gil gil = new Gil(Duration.ofMillis(1));
        gil.run(outer -> gil.run(inner -> null));
        assertThat(gil.acquisitions()).isEqualTo(1);
        assertThat(gil.mostHoldersAtOnce()).isEqualTo(1);
    }

    @Test
    void waitingThreadsTakeTurnsOneAtATime() throws Exception {
        Duration interval = Duration.ofMillis(2);
        Gil gil = new Gil(interval);
        int threads = 3;
        int steps = 2000;   // about 100 ms of spinning per thread
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicIntegerArray done = new AtomicIntegerArray(threads);
        AtomicReference<int[]> atFirstFinish = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            workers.add(Thread.ofPlatform().name("gil-test-" + t).start(() -> {
                awaitQuietly(go);
                gil.run(safepoint -> {
                    for (int i = 0; i < steps; i++) {
                        if (inside.incrementAndGet() != 1) overlaps.incrementAndGet();
                        spin(50);
                        inside.decrementAndGet();
                        done.incrementAndGet(me);
                        safepoint.poll();
                    }
                    int[] snapshot = new int[threads];
                    for (int k = 0; k < threads; k++) snapshot[k] = done.get(k);
                    atFirstFinish.compareAndSet(null, snapshot);
                    return null;
                });
            }));
        }
        long start = System.nanoTime();
        go.countDown();
        for (Thread w : workers) assertThat(w.join(Duration.ofSeconds(30))).isTrue();
        long elapsed = System.nanoTime() - start;

        assertThat(overlaps.get()).as("two threads computed at once").isZero();
        // Round robin: when the first thread is done, every other one is well on its way. Without turns
        // (one holder to the end) the others would be at zero.
        for (int progress : atFirstFinish.get()) assertThat(progress).isGreaterThan(steps / 2);
        // Each hold lasts at least the interval, so there cannot be more switches than intervals elapsed.
        assertThat(gil.switches()).isGreaterThanOrEqualTo(10).isLessThanOrEqualTo(elapsed / interval.toNanos() + 1);
    }

    @Test
    void aSleepRunsWithoutTheLock() throws Exception {
        Gil gil = new Gil(Duration.ofMillis(5));
        CountDownLatch computed = new CountDownLatch(1);
        // Compute, then sleep 2 s, then answer: the experiment's steps in one request.
        Reply.CpuWork compute = safepoint -> {
            computed.countDown();
            return Reply.sleep(Duration.ofSeconds(2), () -> Reply.of(Response.ok("done\n")));
        };
        Request request = new Request("GET", "/", "/", "", "HTTP/1.1", Headers.EMPTY, Request.NO_BODY);
        Thread sleeper = Thread.ofPlatform().name("gil-sleeper").start(() -> {
            try {
                Steps.runBlocking(r -> Reply.compute(compute), new Exchange(request, 0), gil);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(computed.await(10, TimeUnit.SECONDS)).isTrue();
        long start = System.nanoTime();
        gil.run(safepoint -> null);
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(waitedMillis).as("waited for a sleeping thread's lock").isLessThan(1000);
        assertThat(sleeper.isAlive()).as("the sleeper is still sleeping").isTrue();
        sleeper.interrupt();
        assertThat(sleeper.join(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void aWaiterGetsTheLockAfterAboutOneInterval() throws Exception {
        Gil gil = new Gil(Duration.ofMillis(20));
        CountDownLatch holding = new CountDownLatch(1);
        AtomicLong waiterGotItAt = new AtomicLong();
        Thread holder = Thread.ofPlatform().name("gil-holder").start(() -> gil.run(safepoint -> {
            holding.countDown();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() - end < 0 && waiterGotItAt.get() == 0) {
                spin(100);
                safepoint.poll();
            }
            return null;
        }));
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        long asked = System.nanoTime();
        gil.run(safepoint -> {
            waiterGotItAt.set(System.nanoTime());
            return null;
        });
        assertThat(holder.join(Duration.ofSeconds(10))).isTrue();
        // The holder drops the lock at its first check after the interval: a waiter does not wait for the
        // holder's whole 3 s of work. (Wide margin: the machine is shared.)
        assertThat(TimeUnit.NANOSECONDS.toMillis(waiterGotItAt.get() - asked)).isLessThan(1500);
        assertThat(gil.switches()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void anExceptionReleasesTheLock() {
        Gil gil = new Gil(Duration.ofMillis(5));
        assertThatThrownBy(() -> gil.run(safepoint -> {
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        Thread other = Thread.ofPlatform().start(() -> gil.run(safepoint -> null));
        assertThat(joinQuietly(other)).isTrue();
    }

    @Test
    void theConfigChoosesTheRunner() {
        EngineConfig config = EngineConfig.ephemeral();
        assertThat(Gil.fromConfig(config)).isSameAs(CpuRunner.INLINE);
        CpuRunner gil = Gil.fromConfig(config.withOption("gil", "true").withOption("switch-interval", "2ms"));
        assertThat(gil).isInstanceOf(Gil.class);
        assertThat(((Gil) gil).switchInterval()).isEqualTo(Duration.ofMillis(2));
        assertThat(((Gil) Gil.fromConfig(config.withOption("gil", "true"))).switchInterval()).isEqualTo(Duration.ofMillis(5));
        assertThat(gil).hasToString("gil switch-interval=2ms");
        assertThatThrownBy(() -> Gil.fromConfig(config.withOption("switch-interval", "2ms")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("add --gil");
        assertThatThrownBy(() -> new Gil(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOptionsValidateTheirValues() {
        assertThat(Gil.options()).extracting(o -> o.name()).containsExactly("gil", "switch-interval");
        assertThat(Gil.SWITCH_INTERVAL_OPTION.validate("250us")).isEqualTo("250000ns");
        assertThatThrownBy(() -> Gil.SWITCH_INTERVAL_OPTION.validate("soon")).isInstanceOf(ConfigException.class);
    }

    @Test
    void withoutAGilTheSafepointDoesNothing() {
        Safepoint[] seen = new Safepoint[1];
        CpuRunner.INLINE.run(safepoint -> {
            seen[0] = safepoint;
            return null;
        });
        assertThat(seen[0]).isSameAs(Safepoint.NONE);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean joinQuietly(Thread t) {
        try {
            return t.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
