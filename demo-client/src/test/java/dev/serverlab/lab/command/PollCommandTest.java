package dev.serverlab.lab.command;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.blocking.BlockingEngine;
import dev.serverlab.lab.ExitCode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
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
        assertThat(run.out()).containsPattern("  no answer at .*: side work 1, fib\\(22\\) = 17711 in ");
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
