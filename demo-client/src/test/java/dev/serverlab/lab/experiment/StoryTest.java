package dev.serverlab.lab.experiment;

import dev.serverlab.lab.load.LabClient;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The sentences under a timeline say what the numbers show; runs are built from recorded-looking samples. */
class StoryTest {

    private static final long MS = 1000;

    /** Requests released at 0 and connected at 1 ms, with the given [started, finished] in ms and workers. */
    private static RunResult run(Variant variant, Workload workload, long[][] service, String[] workers) {
        List<LabClient.Sample> samples = new ArrayList<>();
        for (int i = 0; i < service.length; i++) {
            samples.add(new LabClient.Sample(i + 1, 0, MS, MS, service[i][0] * MS, service[i][1] * MS, service[i][1] * MS + 100,
                    200, "7/" + workers[i], "ok", null));
        }
        Optional<IdealTotal> ideal = IdealTotal.of(variant.model(), workload.kind(), service.length, workload.perRequest(), 2);
        return new RunResult(variant, workload, List.of(samples), 0, null, null, null, workload.perRequest(), null, ideal, service.length);
    }

    private static final Workload CPU = Workload.cpu(30, Duration.ofMillis(100));
    private static final Workload IO = Workload.io(Duration.ofMillis(1000));

    @Test
    void aSerialRunIsOneAtATimeWithItsTotal() {
        RunResult r = run(new Variant("blocking", "blocking", List.of(), Model.serial(), true), CPU,
                new long[][] {{1, 101}, {101, 201}, {201, 301}}, new String[] {"main", "main", "main"});
        List<String> story = Story.of(r, 2);
        assertThat(story).hasSize(3);
        assertThat(story.get(0)).isEqualTo("blocking: total 0.30 s ≈ 3 × 0.10 s; requests were served one at a time, by one worker.");
        assertThat(story.get(1)).contains("the last one waited 0.20 s");
        assertThat(story.get(2)).isEqualTo("The ideal for serial on 2 cores is 0.30 s = 3 × 0.10 s (one at a time); measured 1.00 × that.");
    }

    @Test
    void theGilStretchesOverlappingRequests() {
        RunResult r = run(new Variant("threadpool+gil", "threadpool", List.of("--workers", "4", "--gil"), Model.pool(4).withGil(), true),
                CPU, new long[][] {{1, 401}, {1, 401}, {1, 401}, {1, 401}}, new String[] {"p-1", "p-2", "p-3", "p-4"});
        List<String> story = Story.of(r, 2);
        assertThat(story.get(0)).startsWith("threadpool+gil: all 4 requests were in service at once, on 4 workers; total 0.40 s");
        assertThat(story.get(1)).isEqualTo("Each took 0.40 s to serve, 4.0 × as long as alone: the 4 in service took turns holding the GIL.");
        assertThat(story.get(2)).contains("0.40 s = 4 × 0.10 s (one at a time under the GIL)");
    }

    @Test
    void anUnevenSpreadOverAPoolIsPointedOut() {
        // 5 requests on 2 workers: the even spread is at most 3 each, but w-1 took 4
        RunResult r = run(new Variant("prefork", "prefork", List.of("--workers", "2"), Model.pool(2), true), IO,
                new long[][] {{1, 1001}, {1, 1001}, {1001, 2001}, {2001, 3001}, {3001, 4001}},
                new String[] {"w-1", "w-2", "w-1", "w-1", "w-1"});
        assertThat(Story.of(r, 2).get(1)).isEqualTo("The requests were spread unevenly: w-1 served 4 of the 5, where an even "
                + "spread gives each worker at most 3, so some requests waited for it while other workers sat idle.");
    }

    @Test
    void aTotalBelowItsIdealSaysTWasMisMeasuredInsteadOfGivingARatio() {
        // 3 requests served one after another in 60 ms each, against a t of 100 ms: 0.18 s for an ideal of 0.30 s
        RunResult r = run(new Variant("blocking", "blocking", List.of(), Model.serial(), true), CPU,
                new long[][] {{1, 61}, {61, 121}, {121, 181}}, new String[] {"main", "main", "main"});

        assertThat(r.tMisMeasured()).isTrue();
        assertThat(r.overIdeal()).isEmpty();
        assertThat(ComparisonTable.row(r)[7]).isEqualTo("t?");
        assertThat(Story.of(r, 2).get(2)).isEqualTo("The ideal for serial on 2 cores is 0.30 s = 3 × 0.10 s (one at a time); "
                + "the measured total, 0.18 s, is below it, which no run can be: t (0.10 s alone) was mis-measured, so no ratio is given.");
    }

    @Test
    void aRunThatDidNotStartSaysWhy() {
        Variant v = new Variant("mystery", "mystery", List.of(), Model.unknown(), true);
        RunResult r = RunResult.failed(v, IO, null, "engine 'mystery' exited with code 3 before listening; its last output:\nstarting\nlab: cannot listen on 127.0.0.1:80",
                Optional.empty(), 10);
        assertThat(Story.of(r, 2)).containsExactly("mystery did not run: engine 'mystery' exited with code 3 before listening (cannot listen on 127.0.0.1:80).");
    }
}
