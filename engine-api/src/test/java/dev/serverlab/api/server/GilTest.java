package dev.serverlab.api.server;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
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
        // The GIL's own record: each hold that ended in a switch lasted at least the interval, so the time
        // held (one holder at a time) covers every switch's interval; and it fits in the time that passed.
        assertThat(gil.switches()).isGreaterThanOrEqualTo(10).isLessThanOrEqualTo(gil.held().toNanos() / interval.toNanos());
        assertThat(gil.held().toNanos()).as("holds one after another fit in the time that passed").isLessThanOrEqualTo(elapsed);
    }

    @Test
    void aSleepRunsWithoutTheLock() throws Exception {
        Gil gil = new Gil(Duration.ofMillis(5));
        CountDownLatch computed = new CountDownLatch(1);
        AtomicBoolean woke = new AtomicBoolean();
        // Compute, then sleep far longer than this test may take (within the deadline), then answer.
        Reply.CpuWork compute = safepoint -> {
            computed.countDown();
            return Reply.sleep(Duration.ofMinutes(10), () -> {
                woke.set(true);
                return Reply.of(Response.ok("done\n"));
            });
        };
        Request request = new Request("GET", "/", "/", "", "HTTP/1.1", Headers.EMPTY, Request.NO_BODY);
        Thread sleeper = Thread.ofPlatform().name("gil-sleeper").start(() -> {
            try {
                Steps.runBlocking(r -> Reply.compute(compute), new Exchange(request, 0), gil, Limits.DEFAULTS.withRequestDeadline(Duration.ofHours(1)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            assertThat(computed.await(30, TimeUnit.SECONDS)).isTrue();
            // If the sleep held the lock, this turn could only begin once the 10 minutes were over: taking it
            // while the sleeper has not woken shows the lock was free. The join is patience, not a measurement.
            Thread taker = Thread.ofPlatform().name("gil-taker").start(() -> gil.run(safepoint -> null));
            assertThat(taker.join(Duration.ofSeconds(60))).as("took the lock while the other thread slept").isTrue();
            assertThat(woke).as("the sleeper had not woken: its sleep held no lock").isFalse();
            assertThat(sleeper.isAlive()).as("the sleeper is still sleeping").isTrue();
            assertThat(gil.acquisitions()).as("one turn for the compute step, one for the taker").isEqualTo(2);
            assertThat(gil.mostHoldersAtOnce()).isEqualTo(1);
        } finally {
            sleeper.interrupt();
            assertThat(sleeper.join(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void aWaiterGetsTheLockAfterAboutOneInterval() throws Exception {
        Duration interval = Duration.ofMillis(20);
        Gil gil = new Gil(interval);
        CountDownLatch holding = new CountDownLatch(1);
        AtomicBoolean waiterRan = new AtomicBoolean();
        AtomicBoolean holderSawTheWaiterMidWork = new AtomicBoolean();
        // The holder's work never ends by itself while the waiter has not run (a cap of a minute, by its own
        // clock, only stops a broken GIL from spinning forever): the waiter can get the lock only by a switch.
        Thread holder = Thread.ofPlatform().name("gil-holder").start(() -> gil.run(safepoint -> {
            holding.countDown();
            long cap = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (System.nanoTime() - cap < 0) {
                spin(100);
                safepoint.poll();
                if (waiterRan.get()) {
                    holderSawTheWaiterMidWork.set(true);
                    break;
                }
            }
            return null;
        }));
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        gil.run(safepoint -> {
            waiterRan.set(true);
            return null;
        });
        assertThat(holder.join(Duration.ofSeconds(90))).isTrue();
        // The GIL's own record: the holder gave the lock up at a check in the middle of its work (not at its
        // end), once: a waiter does not wait for the holder's work to finish; and not before the interval.
        assertThat(holderSawTheWaiterMidWork).as("the waiter ran while the holder's work went on").isTrue();
        assertThat(gil.switches()).as("hand-overs: holder to waiter, and no other").isEqualTo(1);
        assertThat(gil.acquisitions()).as("holder, waiter, holder again").isEqualTo(3);
        assertThat(gil.held()).as("the holder kept its turn for at least the interval").isGreaterThanOrEqualTo(interval);
        assertThat(gil.mostHoldersAtOnce()).isEqualTo(1);
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
