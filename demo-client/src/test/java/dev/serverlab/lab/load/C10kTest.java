package dev.serverlab.lab.load;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.ShapeApplication;
import dev.serverlab.lab.command.C10kCommand;
import dev.serverlab.lab.report.C10kReport;
import dev.serverlab.nio.NioEngine;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class C10kTest {

    /** An event loop: every connection's request waits at the same time. */
    private static ServerEngine unbounded() {
        return new NioEngine();
    }

    /**
     * Every connection's request is in flight at once: each waits on the server until all {@code n} have
     * arrived ({@link ShapeApplication}'s {@code /gather}), so a run that sent them one after another, or a few
     * at a time, would get "alone" answers, counted wrong. The server's rendezvous is the evidence, not a clock.
     */
    @Test
    void everyConnectionGetsItsOwnCorrectAnswer() throws Exception {
        int n = 500;
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), new ShapeApplication())) {
            Target target = Target.of(server.address(), "/gather/" + n);
            C10kRun.Plan plan = new C10kRun.Plan(target, n, 2, Duration.ofSeconds(20), Duration.ofSeconds(60),
                    "gathered\n".getBytes(StandardCharsets.US_ASCII), ProcessHandle.current().pid());
            C10kRun.Result r = C10kRun.run(plan, line -> { });

            assertThat(r.failures().total()).as(C10kReport.text(r, "test")).isZero();
            assertThat(r.connected()).isEqualTo(n);
            assertThat(r.ok()).as("answers that found all %d in flight at once", n).isEqualTo(n);
            assertThat(r.latency().getTotalCount()).isEqualTo(n);
            assertThat(r.idleRssKiB()).isPositive();
            assertThat(r.peakRssKiB()).isGreaterThanOrEqualTo(r.idleRssKiB());
        }
    }

    @Test
    void aWrongAnswerIsAFailure() throws Exception {
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), Application.experiment())) {
            // /sleep/5 answers "5", not "Hello, World!": every answer must be counted wrong.
            Target target = Target.of(server.address(), "/sleep/5");
            C10kRun.Plan plan = new C10kRun.Plan(target, 20, 2, Duration.ofSeconds(20), Duration.ofSeconds(60),
                    C10kCommand.expectedBody("/"), -1);
            C10kRun.Result r = C10kRun.run(plan, line -> { });
            assertThat(r.ok()).isZero();
            assertThat(r.failures().wrongAnswer()).isEqualTo(20);
            assertThat(r.firstWrong()).contains("5");
        }
    }

    @Test
    void expectedBodiesFollowTheExperimentsRoutes() {
        assertThat(new String(C10kCommand.expectedBody("/sleep/1000"))).isEqualTo("1000\n");
        assertThat(new String(C10kCommand.expectedBody("/sleep/007"))).isEqualTo("7\n");
        assertThat(C10kCommand.expectedBody("/fib/20")).isNull();
    }
}
