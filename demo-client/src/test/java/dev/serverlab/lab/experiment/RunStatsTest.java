package dev.serverlab.lab.experiment;

import dev.serverlab.lab.load.LabClient;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RunStatsTest {

    private static LabClient.Sample sample(int client, long started, long finished, String worker) {
        return new LabClient.Sample(client, 0, 10, 20, started, finished, finished + 5, 200, worker, "ok", null);
    }

    @Test
    void peakCountsOverlappingServiceOnly() {
        // one after another: touching intervals do not overlap
        assertThat(RunStats.peakInService(List.of(sample(1, 100, 200, "a"), sample(2, 200, 300, "a"), sample(3, 300, 400, "a"))))
                .isEqualTo(1);
        // two at a time
        assertThat(RunStats.peakInService(List.of(sample(1, 100, 300, "a"), sample(2, 100, 300, "b"),
                sample(3, 300, 500, "a"), sample(4, 310, 500, "b")))).isEqualTo(2);
        // a pool of 2 whose answers leave a few microseconds after the next request started: still 2 at a time
        assertThat(RunStats.peakInService(List.of(sample(1, 0, 1003, "a"), sample(2, 0, 1004, "b"),
                sample(3, 1000, 2003, "a"), sample(4, 1000, 2004, "b")))).isEqualTo(2);
        // all at once
        assertThat(RunStats.peakInService(List.of(sample(1, 100, 1000, "a"), sample(2, 110, 1000, "a"), sample(3, 120, 1000, "a"))))
                .isEqualTo(3);
    }

    @Test
    void statsFromSamples() {
        RunStats s = RunStats.of(List.of(sample(1, 100, 200, "p/a"), sample(2, 200, 300, "p/b"), sample(3, 300, 400, "p/a"),
                new LabClient.Sample(4, 0, 10, 0, 0, 0, 900, 0, null, null, "timed out")));
        assertThat(s.totalMicros()).isEqualTo(900);
        assertThat(s.minLatencyMicros()).isEqualTo(205);
        assertThat(s.medianLatencyMicros()).isEqualTo(305);
        assertThat(s.maxLatencyMicros()).isEqualTo(405);
        assertThat(s.workers()).isEqualTo(2);
        assertThat(s.failed()).isEqualTo(1);
        assertThat(s.maxWaitMicros()).isEqualTo(290);
        assertThat(s.medianServiceMicros()).isEqualTo(100);
    }
}
