package dev.serverlab.api.conformance;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shapes the event-loop model must show, over real sockets. Orderings and wide margins only: the
 * machine is small and shared, so nothing here is a benchmark.
 */
public abstract class ConcurrencyShapes {

    /** fib(34) takes tens of milliseconds: long enough to see overlap or its absence, short enough for CI. */
    private static final String CPU_PATH = "/fib/34";

    protected abstract ServerEngine engine();

    /** The prefix of the threads that run inline CPU work, such as {@code netty-loop-}. */
    protected abstract String loopThreadPrefix();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aThousandConcurrentSleepsFinishTogether() throws Exception {
        try (RunningServer server = engine().start(EngineConfig.ephemeral(), Application.experiment())) {
            long start = System.nanoTime();
            List<Wire.Answer> answers = concurrently(server.port(), 1000, "/sleep/500");
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertThat(answers).hasSize(1000).allSatisfy(a -> assertThat(a.text()).isEqualTo("500\n"));
            // If a wait held a thread, 1000 waits of 0.5 s on a few loops would take minutes.
            assertThat(seconds).as("1000 waits of 0.5 s took %d s", seconds).isLessThan(30);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void inlineCpuWorkOnOneLoopIsServedOneAtATime() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "1");
        try (RunningServer server = engine().start(config, Application.experiment())) {
            List<Wire.Answer> answers = concurrently(server.port(), 4, CPU_PATH);
            assertThat(answers).allSatisfy(a -> assertThat(a.header("X-Served-By")).contains("/" + loopThreadPrefix()));
            assertThat(answers.stream().map(a -> a.header("X-Served-By")).distinct()).hasSize(1);
            List<Wire.Answer> byStart = sortedByStart(answers);
            for (int i = 1; i < byStart.size(); i++) {
                assertThat(byStart.get(i).micros("X-Started-At"))
                        .as("request %d starts after request %d finished", i, i - 1)
                        .isGreaterThanOrEqualTo(byStart.get(i - 1).micros("X-Finished-At"));
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void offloadedCpuWorkOverlaps() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withOption("loops", "1").withOption("offload", "2");
        try (RunningServer server = engine().start(config, Application.experiment())) {
            // Overlap needs two cores free at once: on a busy shared machine an attempt may not show it.
            ShapeAttempts.assertShape("offloaded CPU work overlaps", 3, () -> {
                List<Wire.Answer> answers = concurrently(server.port(), 4, CPU_PATH);
                assertThat(answers).allSatisfy(a -> assertThat(a.header("X-Served-By")).doesNotContain("/" + loopThreadPrefix()));
                List<Wire.Answer> byStart = sortedByStart(answers);
                for (int i = 1; i < byStart.size(); i++) {
                    if (byStart.get(i).micros("X-Started-At") < byStart.get(i - 1).micros("X-Finished-At")) return null;
                }
                return "no two requests overlapped";
            });
        }
    }

    private static List<Wire.Answer> sortedByStart(List<Wire.Answer> answers) {
        List<Wire.Answer> sorted = new ArrayList<>(answers);
        sorted.sort(Comparator.comparingLong(a -> a.micros("X-Started-At")));
        return sorted;
    }

    /** {@code n} clients, each on its own connection, released together; their answers in client order. */
    public static List<Wire.Answer> concurrently(int port, int n, String path) throws Exception {
        CountDownLatch connected = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Wire.Answer>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(clients.submit(() -> {
                    try (Wire wire = Wire.connect(port)) {
                        connected.countDown();
                        go.await();
                        return wire.send(Wire.get(path)).read();
                    }
                }));
            }
            assertThat(connected.await(60, TimeUnit.SECONDS)).as("all clients connected").isTrue();
            go.countDown();
            List<Wire.Answer> answers = new ArrayList<>();
            for (Future<Wire.Answer> f : futures) answers.add(f.get(90, TimeUnit.SECONDS));
            return answers;
        }
    }
}
