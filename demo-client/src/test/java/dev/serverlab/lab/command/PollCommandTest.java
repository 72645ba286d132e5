package dev.serverlab.lab.command;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.blocking.BlockingEngine;
import dev.serverlab.lab.console.ExitCode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class PollCommandTest {

    private static final Pattern SUMMARY = Pattern.compile("answer: 200 (\\S+) after .*; (\\d+) side computations? of fib\\((\\d+)\\) done while waiting");

    @Test
    void sideWorkIsDoneWhileTheSlowRequestIsOnItsWay() {
        // fib(22) takes well under a millisecond once compiled; the answer takes 400 ms
        LabRun run = LabRun.of("poll", "--engine", "blocking", "--path", "/sleep/400", "--side", "22");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        Matcher m = SUMMARY.matcher(run.out());
        assertThat(m.find()).as(run.out()).isTrue();
        assertThat(m.group(1)).isEqualTo("400");
        int side = Integer.parseInt(m.group(2));
        assertThat(side).isGreaterThan(1);
        // a line per side computation, as the original printed
        assertThat(run.out().lines().filter(l -> l.startsWith("  no answer at ")).count()).isEqualTo(side);
        assertThat(run.out()).containsPattern("  no answer at .*; side work 1, fib\\(22\\) = 17711 in ");
    }

    @Test
    void eachStepSaysWhatTheNonBlockingReadFound() {
        LabRun run = LabRun.of("poll", "--engine", "blocking", "--path", "/sleep/300", "--side", "22");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        // once the request is out, a read with nothing to give returns 0: Java's EAGAIN, said on the line and counted
        assertThat(run.out()).containsPattern("  no answer at .*: read returned 0 \\(EAGAIN: nothing yet\\); side work \\d+, fib\\(22\\)");
        long empty = run.out().lines().filter(l -> l.startsWith("  no answer at ") && l.contains("read returned 0")).count();
        assertThat(run.out()).contains("; " + empty + " non-blocking read" + (empty == 1 ? "" : "s") + " found nothing (read returned 0: EAGAIN)");
    }

    @Test
    void aSelectTimeoutWaitsInSelectBeforeEachSideStep() {
        // as the original: up to 200 ms in select, then a side step. The socket becomes readable only when the
        // answer comes, at least 700 ms after the request: so there is at least one step, and every step waited
        // its whole 200 ms (a busy machine only makes a wait longer, and longer side work means fewer steps)
        LabRun run = LabRun.of("poll", "--engine", "blocking", "--path", "/sleep/700", "--side", "22", "--select-timeout", "200ms");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("select waits up to 0.20 s before each");
        Matcher m = SUMMARY.matcher(run.out());
        assertThat(m.find()).as(run.out()).isTrue();
        int steps = Integer.parseInt(m.group(2));
        assertThat(steps).as(run.out()).isPositive();
        List<String> waits = run.out().lines().filter(l -> l.startsWith("  no answer at ")).toList();
        assertThat(waits).as(run.out()).hasSize(steps)
                .allSatisfy(l -> assertThat(l).containsPattern("\\(select waited (0\\.[2-9]\\d|[1-9]\\d*\\.\\d\\d) s\\)"));
        assertThat(run.out()).containsPattern("no answer at .* \\(select waited 0\\.\\d\\d s\\): read returned 0");
        assertThat(run.out()).containsPattern("s spent waiting in select\\n");
    }

    @Test
    void aBadSelectTimeoutIsAUsageError() {
        LabRun run = LabRun.of("poll", "--engine", "blocking", "--select-timeout", "soon");
        assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(run.err()).contains("select-timeout").doesNotContain("Exception");
    }

    @Test
    void itAsksARunningServerByUrl() throws Exception {
        try (RunningServer server = new BlockingEngine().start(EngineConfig.ephemeral(), Application.experiment())) {
            LabRun run = LabRun.of("poll", "--url", "http://127.0.0.1:" + server.port() + "/sleep/300", "--side", "22", "--quiet");

            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
            Matcher m = SUMMARY.matcher(run.out());
            assertThat(m.find()).as(run.out()).isTrue();
            assertThat(m.group(1)).isEqualTo("300");
            assertThat(Integer.parseInt(m.group(2))).isGreaterThan(1);
        }
    }

    @Test
    void quietPrintsOnlyTheSummary() {
        LabRun run = LabRun.of("poll", "--engine", "blocking", "--path", "/fib/10", "--side", "25", "--quiet");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        Matcher m = SUMMARY.matcher(run.out());
        assertThat(m.find()).as(run.out()).isTrue();
        assertThat(m.group(1)).isEqualTo("55");
        assertThat(run.out()).doesNotContain("no answer at").doesNotContain("poll: GET");
    }

    @Test
    void theAnswerIsCompleteWhenItsBodyIsIn() {
        byte[] head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(PollCommand.complete(head)).isFalse();
        assertThat(PollCommand.complete("HTTP/1.1 200 OK\r\nContent-Len".getBytes(StandardCharsets.ISO_8859_1))).isFalse();
        assertThat(PollCommand.complete((new String(head, StandardCharsets.ISO_8859_1) + "1234").getBytes(StandardCharsets.ISO_8859_1))).isFalse();
        assertThat(PollCommand.complete((new String(head, StandardCharsets.ISO_8859_1) + "12345").getBytes(StandardCharsets.ISO_8859_1))).isTrue();
    }

    @Test
    void nothingListeningIsAClearError() {
        LabRun run = LabRun.of("poll", "--url", "http://127.0.0.1:1/sleep/10");
        assertThat(run.exitCode()).isEqualTo(ExitCode.UNAVAILABLE);
        assertThat(run.err()).contains("connection refused").doesNotContain("Exception");
    }
}
