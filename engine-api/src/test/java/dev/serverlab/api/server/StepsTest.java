package dev.serverlab.api.server;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Headers;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.app.Workloads;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class StepsTest {

    private static final Request GET = new Request("GET", "/", "/", "", "HTTP/1.1", Headers.EMPTY, Request.NO_BODY);
    private static final Limits ONE_SECOND = Limits.DEFAULTS.withRequestDeadline(Duration.ofSeconds(1));

    @Test
    void aWaitThatWouldEndAfterTheDeadlineIsRefusedAtOnce() throws InterruptedException {
        AtomicBoolean continued = new AtomicBoolean();
        Application app = request -> Reply.sleep(Duration.ofSeconds(30), () -> {
            continued.set(true);
            return Reply.of(Response.ok("late\n"));
        });
        // Evidence instead of a stopwatch: with this thread's interrupt flag set, a Thread.sleep throws at once,
        // so a 503 returned normally, with the flag still set, shows that no wait began, whatever the load.
        Thread.currentThread().interrupt();
        Response response;
        try {
            response = Steps.runBlocking(app, new Exchange(GET, 0), CpuRunner.INLINE, ONE_SECOND);
        } catch (InterruptedException e) {
            throw new AssertionError("it began the 30 s wait instead of refusing it", e);
        }
        assertThat(Thread.interrupted()).as("the interrupt flag is still set: nothing waited on this thread").isTrue();
        assertThat(response).isSameAs(Steps.DEADLINE_EXCEEDED);
        assertThat(response.status()).isEqualTo(503);
        assertThat(continued).isFalse();
    }

    @Test
    void stepsWithinTheDeadlineRunToTheEnd() throws InterruptedException {
        Application app = request -> Reply.compute(s -> Reply.sleep(Duration.ofMillis(20), () -> Reply.of(Response.ok("done\n"))));
        assertThat(Steps.runBlocking(app, new Exchange(GET, 0), CpuRunner.INLINE, ONE_SECOND).status()).isEqualTo(200);
    }

    @Test
    void theDeadlineCountsEveryStepSoFar() throws InterruptedException {
        // Two waits of 600 ms: each fits the 1 s deadline alone; the second would end past it.
        Application app = request -> Reply.sleep(Duration.ofMillis(600), () -> Reply.sleep(Duration.ofMillis(600), () -> Reply.of(Response.ok("x\n"))));
        assertThat(Steps.runBlocking(app, new Exchange(GET, 0), CpuRunner.INLINE, ONE_SECOND)).isSameAs(Steps.DEADLINE_EXCEEDED);
    }

    @Test
    void theDefaultDeadlineLeavesTheLongestExperimentWaitAlone() {
        assertThat(Limits.DEFAULTS.requestDeadline()).isGreaterThan(Duration.ofMillis(Workloads.MAX_SLEEP_MS));
    }
}
