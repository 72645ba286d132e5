package dev.serverlab.lab.command;

import dev.serverlab.lab.console.ExitCode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.serverlab.lab.command.CompareCommandTest.list;
import static dev.serverlab.lab.command.CompareCommandTest.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Engines that fail, which exist only in tests (see {@link TestEngines}, run through {@link ChildLab}): each
 * failure gets its own row, and the engines after it still run.
 */
class CompareFaultsTest {

    @Test
    void aFailingEngineDoesNotStopTheOthers(@TempDir Path out) throws Exception {
        ChildLab run = ChildLab.run(out.resolve("lab.log"), Duration.ofSeconds(120),
                "compare", "--engines", "blocking,crashing-for-tests,failing-for-tests,steady-for-tests",
                "--workloads", "io", "--sleep", "50ms", "--clients", "2", "--warmup", "1", "--timeout", "20s",
                "--out", out.toString());

        assertThat(run.exitCode()).as(run.output()).isEqualTo(ExitCode.FAILED);
        // line-up order: serial, pools (the fakes declare --workers), unknown models last
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) TestJson.parse(Files.readString(out.resolve("results.json")));
        List<Map<String, Object>> runs = list(json, "runs");
        assertThat(runs).extracting(r -> r.get("configuration"))
                .containsExactly("blocking", "crashing-for-tests", "failing-for-tests", "steady-for-tests");

        assertThat(runs.get(0)).containsEntry("status", "ok");
        assertThat(runs.get(1)).containsEntry("status", "failed");
        assertThat((String) runs.get(1).get("error")).contains("the server process exited with code 70");
        assertThat(runs.get(2)).containsEntry("status", "failed").containsEntry("server", null);
        assertThat((String) runs.get(2).get("error")).contains("exited with code", "simulated start failure");
        // the engine after the failures ran, and an engine the lab does not know has no ideal
        assertThat(runs.get(3)).containsEntry("status", "ok").containsEntry("idealSeconds", null);
        assertThat(map(runs.get(3), "model")).containsEntry("kind", "unknown");
        assertThat(list(runs.get(3), "requests")).hasSize(2);

        assertThat(run.output()).containsPattern("crashing-for-tests\\s+io\\s+failed: the server process exited")
                .containsPattern("failing-for-tests\\s+io\\s+failed: engine 'failing-for-tests' exited with code 3 before listening \\(.*simulated start failure\\)")
                .containsPattern("steady-for-tests\\s+io\\s+[\\d.]+ m?s\\s.*\\?\\s+\\?\\s+1\\s+1");
        assertThat(out.resolve("report.html")).exists();
        assertThat(Files.readString(out.resolve("report.html"))).contains("failing-for-tests did not run");
    }

    /**
     * The timeout is 5 s, not 1: it applies to the blocking row too, whose second request waits for the first
     * (on a machine at load 25, 1.5 s end to end), and only the hanging engine may time out.
     */
    @Test
    void aServerThatNeverAnswersTimesOutInItsOwnRow(@TempDir Path out) throws Exception {
        ChildLab run = ChildLab.run(out.resolve("lab.log"), Duration.ofSeconds(120),
                "compare", "--engines", "hanging-for-tests,blocking", "--variants", "hanging-for-tests,blocking",
                "--workloads", "io", "--sleep", "50ms", "--clients", "2", "--warmup", "0", "--timeout", "5s",
                "--out", out.toString());

        assertThat(run.exitCode()).as(run.output()).isEqualTo(ExitCode.FAILED);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) TestJson.parse(Files.readString(out.resolve("results.json")));
        List<Map<String, Object>> runs = list(json, "runs");
        assertThat(runs).extracting(r -> r.get("configuration")).containsExactly("blocking", "hanging-for-tests");
        assertThat(runs.get(0)).containsEntry("status", "ok");
        assertThat(runs.get(1)).containsEntry("status", "failed").containsEntry("failedRequests", 2.0);
        assertThat((String) runs.get(1).get("error")).isEqualTo("timed out after 5000 ms");
        // the timed-out requests are still drawn and listed, as failures
        assertThat(list(runs.get(1), "requests")).hasSize(2).allSatisfy(q -> assertThat(q).containsEntry("status", 0.0));
        assertThat(CompareCommandTest.requestBars(CompareCommandTest.parse(out.resolve("compare-io.svg")))).isEqualTo(4);
    }
}
