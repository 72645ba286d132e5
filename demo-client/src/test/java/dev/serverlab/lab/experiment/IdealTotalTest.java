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

    @Test
    void serialIsNTimesTheWork() {
        assertThat(cpu(Model.serial(), 10, 2)).isEqualTo(5.0);
        assertThat(cpu(Model.serial(), 10, 16)).isEqualTo(5.0);
        assertThat(io(Model.serial(), 10, 2)).isEqualTo(10.0);
    }

    @Test
    void poolOfPTakesRoundsOfIoAndSharesTheCoresForCpu() {
        assertThat(io(Model.pool(4), 10, 2)).isEqualTo(3.0);         // ceil(10/4) rounds
        assertThat(io(Model.pool(5), 10, 2)).isEqualTo(2.0);
        assertThat(io(Model.pool(4), 3, 2)).isEqualTo(1.0);
        assertThat(cpu(Model.pool(4), 10, 2)).isEqualTo(2.5);        // N·t / min(P, C)
        assertThat(cpu(Model.pool(4), 10, 8)).isEqualTo(1.25);
        assertThat(cpu(Model.pool(1), 10, 8)).isEqualTo(5.0);
        assertThat(cpu(Model.pool(4), 1, 8)).isEqualTo(0.5);         // one request cannot go faster than t
    }

    @Test
    void unboundedIsOneWaitOrAllTheCores() {
        assertThat(io(Model.unbounded(), 10, 2)).isEqualTo(1.0);
        assertThat(cpu(Model.unbounded(), 10, 2)).isEqualTo(2.5);
        assertThat(cpu(Model.unbounded(), 10, 32)).isEqualTo(0.5);
    }

    @Test
    void aGilMakesCpuWorkSerialButNotTheWaits() {
        assertThat(cpu(Model.pool(4).withGil(), 10, 2)).isEqualTo(5.0);
        assertThat(cpu(Model.unbounded().withGil(), 10, 8)).isEqualTo(5.0);
        assertThat(io(Model.pool(4).withGil(), 10, 2)).isEqualTo(3.0);
        assertThat(io(Model.unbounded().withGil(), 10, 2)).isEqualTo(1.0);
    }

    @Test
    void anEventLoopRunsCpuInlineOnItsLoopsAndWaitsOnTimers() {
        assertThat(cpu(Model.eventLoop(1, 0), 10, 2)).isEqualTo(5.0);
        assertThat(cpu(Model.eventLoop(2, 0), 10, 2)).isEqualTo(2.5);
        assertThat(io(Model.eventLoop(1, 0), 10, 2)).isEqualTo(1.0);
    }

    @Test
    void offloadingUsesThePoolForCpu() {
        assertThat(cpu(Model.eventLoop(1, 2), 10, 2)).isEqualTo(2.5);
        assertThat(cpu(Model.eventLoop(1, 4), 10, 2)).isEqualTo(2.5);
        assertThat(cpu(Model.eventLoop(1, 1), 10, 2)).isEqualTo(5.0);
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
                .isEqualTo("10 × 0.50 s / 2 (2 at a time: 4 workers on 2 cores)");
        assertThat(IdealTotal.of(Model.pool(4).withGil(), Workload.Kind.CPU, 10, T, 2).orElseThrow().formula())
                .isEqualTo("10 × 0.50 s (one at a time under the GIL)");
    }
}
