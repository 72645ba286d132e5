package dev.serverlab.lab.experiment;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class IdealTotalTest {

    private static final Duration T = Duration.ofMillis(500);
    private static final Duration W = Duration.ofSeconds(1);

    private static double cpu(Model model, int n, int cores) {
        return IdealTotal.of(model, Workload.Kind.CPU, n, T, cores).orElseThrow().total().toNanos() / 1e9;
    }

    private static double io(Model model, int n, int cores) {
        return IdealTotal.of(model, Workload.Kind.IO, n, W, cores).orElseThrow().total().toNanos() / 1e9;
    }

    private static final int[] CORES = {1, 2, 4, 8, 16};

    /** The ideal for every core count of {@link #CORES}, in units of t. */
    private static double[] cpuInT(Model model, int n) {
        double[] out = new double[CORES.length];
        for (int i = 0; i < CORES.length; i++) out[i] = cpu(model, n, CORES[i]) / 0.5;
        return out;
    }

    @Test
    void serialIsNTimesTheWork() {
        assertThat(cpuInT(Model.serial(), 10)).containsExactly(10, 10, 10, 10, 10);
        assertThat(io(Model.serial(), 10, 2)).isEqualTo(10.0);
        assertThat(io(Model.serial(), 10, 16)).isEqualTo(10.0);
    }

    @Test
    void aTimeSlicedPoolIsBoundByTheCoresOrByItsRounds() {
        // max(N·t/min(P, C), ceil(N/P)·t): 4 workers on 1 and 2 cores share them; from 4 cores on, each
        // worker runs whole requests on its own core, 3 rounds for 10 (the blog's 4 processes on 4 cores)
        assertThat(cpuInT(Model.pool(4), 10)).containsExactly(10, 5, 3, 3, 3);
        assertThat(cpuInT(Model.pool(1), 10)).containsExactly(10, 10, 10, 10, 10);
        assertThat(cpuInT(Model.pool(5), 10)).containsExactly(10, 5, 2.5, 2, 2);
        assertThat(cpuInT(Model.pool(3), 3)).containsExactly(3, 1.5, 1, 1, 1);   // 3 threads time-sliced on 2 cores
        assertThat(cpuInT(Model.pool(4), 1)).containsExactly(1, 1, 1, 1, 1);     // one request cannot go faster than t
    }

    @Test
    void poolOfPTakesRoundsOfIo() {
        assertThat(io(Model.pool(4), 10, 2)).isEqualTo(3.0);         // ceil(10/4) rounds
        assertThat(io(Model.pool(4), 10, 16)).isEqualTo(3.0);
        assertThat(io(Model.pool(5), 10, 2)).isEqualTo(2.0);
        assertThat(io(Model.pool(4), 3, 2)).isEqualTo(1.0);
    }

    @Test
    void virtualThreadsRunEachRequestToCompletionOnTheCarriers() {
        // ceil(N/C)·t: no time slicing, so 10 on 4 carriers take 3 rounds, not 2.5 t
        assertThat(cpuInT(Model.unbounded(), 10)).containsExactly(10, 5, 3, 2, 1);
        assertThat(cpuInT(Model.unbounded(), 3)).containsExactly(3, 2, 1, 1, 1);
        assertThat(io(Model.unbounded(), 10, 2)).isEqualTo(1.0);
        assertThat(io(Model.unbounded(), 10, 16)).isEqualTo(1.0);
    }

    @Test
    void aGilMakesCpuWorkSerialButNotTheWaits() {
        assertThat(cpuInT(Model.pool(4).withGil(), 10)).containsExactly(10, 10, 10, 10, 10);
        assertThat(cpuInT(Model.unbounded().withGil(), 10)).containsExactly(10, 10, 10, 10, 10);
        assertThat(io(Model.pool(4).withGil(), 10, 2)).isEqualTo(3.0);
        assertThat(io(Model.unbounded().withGil(), 10, 2)).isEqualTo(1.0);
    }

    @Test
    void anEventLoopRunsCpuInlineOnItsLoopsAndWaitsOnTimers() {
        assertThat(cpuInT(Model.eventLoop(1, 0), 10)).containsExactly(10, 10, 10, 10, 10);
        assertThat(cpuInT(Model.eventLoop(2, 0), 10)).containsExactly(10, 5, 5, 5, 5);
        assertThat(cpuInT(Model.eventLoop(4, 0), 10)).containsExactly(10, 5, 3, 3, 3);
        assertThat(io(Model.eventLoop(1, 0), 10, 2)).isEqualTo(1.0);
    }

    @Test
    void anOffloadPoolIsATimeSlicedPool() {
        assertThat(cpuInT(Model.eventLoop(1, 2), 10)).containsExactly(10, 5, 5, 5, 5);
        assertThat(cpuInT(Model.eventLoop(1, 4), 10)).containsExactly(10, 5, 3, 3, 3);
        assertThat(cpuInT(Model.eventLoop(1, 1), 10)).containsExactly(10, 10, 10, 10, 10);
        assertThat(io(Model.eventLoop(1, 2), 10, 2)).isEqualTo(1.0);
    }

    @Test
    void unknownModelsAndCountsHaveNoIdeal() {
        assertThat(IdealTotal.of(Model.unknown(), Workload.Kind.CPU, 10, T, 2)).isEmpty();
        assertThat(IdealTotal.of(Model.unknown(), Workload.Kind.IO, 10, W, 2)).isEmpty();
        assertThat(IdealTotal.of(Model.pool(0), Workload.Kind.IO, 10, W, 2)).isEmpty();
        // an event loop whose loop count is unknown still waits on timers
        assertThat(IdealTotal.of(Model.eventLoop(0, 0), Workload.Kind.CPU, 10, T, 2)).isEmpty();
        assertThat(io(Model.eventLoop(0, 0), 10, 2)).isEqualTo(1.0);
    }

    @Test
    void theFormulaSaysHowTheIdealWasReached() {
        assertThat(IdealTotal.of(Model.pool(4), Workload.Kind.IO, 10, W, 2).orElseThrow().formula())
                .isEqualTo("3 rounds × 1.00 s (4 at a time)");
        assertThat(IdealTotal.of(Model.pool(4), Workload.Kind.CPU, 10, T, 2).orElseThrow().formula())
                .isEqualTo("10 × 0.50 s / 2 (4 workers on 2 cores, time-sliced: the cores bind)");
        assertThat(IdealTotal.of(Model.pool(4), Workload.Kind.CPU, 10, T, 8).orElseThrow().formula())
                .isEqualTo("3 rounds × 0.50 s (4 workers on 8 cores: 4 at a time, one core each)");
        assertThat(IdealTotal.of(Model.unbounded(), Workload.Kind.CPU, 10, T, 4).orElseThrow().formula())
                .isEqualTo("3 rounds × 0.50 s (every request on 4 cores: 4 at a time, each run to completion)");
        assertThat(IdealTotal.of(Model.pool(4).withGil(), Workload.Kind.CPU, 10, T, 2).orElseThrow().formula())
                .isEqualTo("10 × 0.50 s (one at a time under the GIL)");
    }
}
