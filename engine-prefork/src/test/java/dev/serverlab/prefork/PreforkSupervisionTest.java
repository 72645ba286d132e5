package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.conformance.RawHttp;
import dev.serverlab.api.Limits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The supervisor's failure paths, with its patience cut to milliseconds ({@link Supervision}): a crash
 * loop and its back-off, a worker that never reports ready, a worker that ignores SIGTERM, a restart
 * racing close(). Judged from what the supervisor records (the back-offs it chose, the kills it made)
 * and from the pids of every process it started, each of which must be gone.
 */
@ExtendWith(NoProcessLeftBehind.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PreforkSupervisionTest {

    private static final Duration FIRST_BACKOFF = Duration.ofMillis(20);
    private static final Duration MAX_BACKOFF = Duration.ofMillis(80);

    private final List<Supervisor> servers = new ArrayList<>();

    @BeforeAll
    static void thisIsTheTestJvm() {
        WorkerApps.testJvm = true;
    }

    @AfterEach
    void everyWorkerIsGone() {
        servers.forEach(Supervisor::close);
        for (Supervisor server : servers) {
            assertThat(Pids.alive(server.spawnedPids())).as("workers alive after close() returned").isEmpty();
        }
    }

    private static PreforkEngine engine(Duration startTimeout, Duration exitGrace) {
        return new PreforkEngine(new Supervision(startTimeout, exitGrace, Duration.ofSeconds(30), FIRST_BACKOFF, MAX_BACKOFF));
    }

    private Supervisor start(PreforkEngine engine, EngineConfig config, dev.serverlab.api.app.Application app) throws IOException {
        Supervisor server = (Supervisor) engine.start(config, app);
        servers.add(server);
        return server;
    }

    @Test
    void theBackOffDoublesUpToItsCap() {
        Supervision s = new Supervision(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), FIRST_BACKOFF, MAX_BACKOFF);
        assertThat(List.of(s.backoff(1), s.backoff(2), s.backoff(3), s.backoff(4), s.backoff(5), s.backoff(40)))
                .containsExactly(Duration.ZERO, FIRST_BACKOFF, FIRST_BACKOFF.multipliedBy(2), MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF);
    }

    /**
     * The gate closes and the worker is killed: every replacement fails at start, and each waits longer
     * than the last, up to the cap. The gate opens: the next replacement serves, on the same port.
     */
    @Test
    void aCrashLoopBacksOffThenRecovers() throws Exception {
        Path gate = Files.createTempFile("prefork-gate", "");
        System.setProperty(WorkerApps.GATE, gate.toString());
        try {
            Supervisor server = start(engine(Duration.ofSeconds(60), Duration.ofSeconds(5)),
                    EngineConfig.ephemeral().withWorkers(1), new WorkerApps.Gated());
            long first = server.workerPids().get(0);
            Files.delete(gate);
            ProcessHandle.of(first).orElseThrow().destroyForcibly();

            assertThat(Pids.await(Duration.ofSeconds(120), () -> server.restarts().size() >= 5))
                    .as("five replacements scheduled: %s", server.restarts()).isTrue();
            assertThat(server.restarts().subList(0, 5)).extracting(Supervisor.Restart::delay)
                    .containsExactly(Duration.ZERO, FIRST_BACKOFF, FIRST_BACKOFF.multipliedBy(2), MAX_BACKOFF, MAX_BACKOFF);
            assertThat(server.restarts().subList(0, 5)).extracting(Supervisor.Restart::failures).containsExactly(1, 2, 3, 4, 5);

            Files.createFile(gate);
            assertThat(Pids.await(Duration.ofSeconds(60), () -> server.workerPids().size() == 1))
                    .as("a worker serves again: %s", server.details()).isTrue();
            RawHttp.Reply reply = Pids.get(server.port(), "/fib/10");
            assertThat(reply.text()).isEqualTo("55\n");
            assertThat(Pids.servedBy(reply)).isNotEqualTo(first).isEqualTo(server.workerPids().get(0));
        } finally {
            System.clearProperty(WorkerApps.GATE);
            Files.deleteIfExists(gate);
        }
    }

    @Test
    void aWorkerThatNeverReportsReadyIsKilledAndNamed() {
        assertThatThrownBy(() -> engine(Duration.ofMillis(1500), Duration.ofSeconds(5))
                .start(EngineConfig.ephemeral().withWorkers(2), new WorkerApps.Hanging()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("did not report ready within 1500 ms");
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList())
                .as("no worker left once start() has failed").isEmpty();
    }

    /** A worker whose shutdown never ends is killed once the drain timeout and the grace have passed. */
    @Test
    void closeKillsAWorkerThatDoesNotStopInTime() throws Exception {
        Limits quickDrain = Limits.DEFAULTS.withDrainTimeout(Duration.ofMillis(100));
        Supervisor server = start(engine(Duration.ofSeconds(60), Duration.ofMillis(200)),
                EngineConfig.ephemeral().withWorkers(2).withLimits(quickDrain), new WorkerApps.Stubborn());
        assertThat(Pids.get(server.port(), "/").status()).isEqualTo(200);
        List<Long> workers = server.workerPids();

        server.close();

        assertThat(server.forcedKills()).as("both workers ignored SIGTERM").isEqualTo(2);
        assertThat(Pids.alive(workers)).isEmpty();
    }

    @Test
    void aWorkerThatStopsInTimeIsNotKilled() throws Exception {
        Supervisor server = start(engine(Duration.ofSeconds(60), Duration.ofSeconds(30)),
                EngineConfig.ephemeral().withWorkers(2), dev.serverlab.api.app.Application.experiment());
        server.close();
        assertThat(server.forcedKills()).isZero();
    }

    /** A worker dies, and close() begins while its replacement is starting: nothing may outlive close(). */
    @Test
    void aRestartRacingCloseLeavesNoWorker() throws Exception {
        Supervisor server = start(engine(Duration.ofSeconds(60), Duration.ofSeconds(5)),
                EngineConfig.ephemeral().withWorkers(2), dev.serverlab.api.app.Application.experiment());
        ProcessHandle.of(server.workerPids().get(0)).orElseThrow().destroyForcibly();
        assertThat(Pids.await(Duration.ofSeconds(30), () -> server.spawnedPids().size() == 3))
                .as("a replacement was started").isTrue();

        server.close();   // the replacement is a JVM still starting: it has not said "ready" yet, or just has

        assertThat(Pids.alive(server.spawnedPids())).isEmpty();
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList()).isEmpty();
    }

    /** The same race, with close() at once after the death: the supervisor must not start a worker after it. */
    @Test
    void closeRightAfterADeathStartsNoReplacement() throws Exception {
        Supervisor server = start(engine(Duration.ofSeconds(60), Duration.ofSeconds(5)),
                EngineConfig.ephemeral().withWorkers(2), dev.serverlab.api.app.Application.experiment());
        ProcessHandle victim = ProcessHandle.of(server.workerPids().get(0)).orElseThrow();
        victim.destroyForcibly();
        victim.onExit().get(10, TimeUnit.SECONDS);

        server.close();

        assertThat(Pids.alive(server.spawnedPids())).isEmpty();
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList()).isEmpty();
    }
}
