package dev.serverlab.lab.experiment;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** t is taken once the request's own time has settled, not from the first timing of a cold JVM. */
class AloneTimeTest {

    private static AloneTime.Timer timings(Long... millis) {
        Iterator<Long> it = List.of(millis).iterator();
        return () -> it.next() * 1000;
    }

    @Test
    void aColdJvmIsTimedUntilItsTimeSettles() throws Exception {
        // the case: the first timing of fib(n) in a fresh JVM was 0.29 s, the settled one 0.17 s
        AloneTime t = AloneTime.measure(timings(290L, 250L, 180L, 172L, 170L, 171L), Duration.ofMillis(170));

        assertThat(t.t()).isEqualTo(Duration.ofMillis(172));
        assertThat(t.samples()).containsExactly(290_000L, 250_000L, 180_000L, 172_000L, 170_000L);
        assertThat(t.note()).isNull();
    }

    @Test
    void aTimeThatNeverSettlesIsSaidSo() throws Exception {
        AloneTime t = AloneTime.measure(timings(100L, 200L, 100L, 200L, 100L, 200L, 100L, 200L), Duration.ofMillis(100));

        assertThat(t.samples()).hasSize(AloneTime.MAX);
        assertThat(t.t()).isEqualTo(Duration.ofMillis(200));
        assertThat(t.note()).startsWith("t did not settle in 8 timings alone");
    }

    @Test
    void aTimeThatStaysFarAboveTheCalibrationIsRetriedThenGivesWayToIt() throws Exception {
        // the run that found it: on a machine at load 15, netty's fib(39) took 1.40 s alone against 0.50 s
        // calibrated, and its ten requests one after another then came out below 10 × 1.40 s
        AloneTime t = AloneTime.measure(timings(300L, 300L, 300L, 300L, 300L, 300L, 300L, 300L), Duration.ofMillis(170));

        assertThat(t.samples()).hasSize(AloneTime.MAX);
        assertThat(t.t()).isEqualTo(Duration.ofMillis(170));
        assertThat(t.note()).startsWith("alone, this JVM took 1.76 × the calibration's 0.17 s throughout").endsWith("so t is the calibration's");
    }

    @Test
    void withoutACalibrationASettledTimeIsEnough() throws Exception {
        AloneTime t = AloneTime.measure(timings(300L, 301L, 302L), null);
        assertThat(t.t()).isEqualTo(Duration.ofMillis(301));
        assertThat(t.note()).isNull();
    }

    @Test
    void aFailedRequestGivesNoTime() throws Exception {
        assertThat(AloneTime.measure(() -> -1, Duration.ofMillis(100))).isNull();
    }
}
