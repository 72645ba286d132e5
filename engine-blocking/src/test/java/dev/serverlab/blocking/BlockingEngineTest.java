package dev.serverlab.blocking;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.RawHttp.Reply;
import dev.serverlab.api.conformance.RawHttp;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.ThreadServer;
import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.List;

import static dev.serverlab.api.conformance.Clients.concurrently;
import static dev.serverlab.api.conformance.Clients.maxInService;
import static org.assertj.core.api.Assertions.assertThat;

/** naive.py's shape, from the server's own timing headers: one connection at a time, on the accepting thread. */
class BlockingEngineTest {

    @Test
    void isFoundByName() {
        assertThat(Engines.discover().find("blocking")).isInstanceOf(BlockingEngine.class);
    }

    @Test
    void servesOneConnectionAtATimeOnTheAcceptingThread() throws Exception {
        try (RunningServer server = new BlockingEngine().start(EngineConfig.ephemeral(), Application.experiment())) {
            List<Reply> answers = concurrently(server.port(), 4, "/sleep/100");
            assertThat(answers).allSatisfy(a -> assertThat(a.servedBy()).isEqualTo(Timing.pid() + "/blocking-server"));
            assertThat(maxInService(answers)).isEqualTo(1);
            // A staircase: each is accepted only once the one before it has finished.
            List<Reply> byStart = answers.stream().sorted(Comparator.comparingLong(Reply::startedMicros)).toList();
            for (int i = 1; i < byStart.size(); i++) {
                assertThat(byStart.get(i).acceptedMicros()).isGreaterThanOrEqualTo(byStart.get(i - 1).finishedMicros());
            }
        }
    }

    @Test
    void closeEndsAnIdleKeptConnectionAndTheAcceptingThread() throws Exception {
        ThreadServer server = (ThreadServer) new BlockingEngine().start(EngineConfig.ephemeral(), Application.experiment());
        try (RawHttp idle = RawHttp.connect(server.port())) {
            idle.send(RawHttp.request("/"));
            assertThat(idle.read().status()).isEqualTo(200);
            server.close();
            assertThat(server.threadsTerminated()).isTrue();
        }
    }

    @Test
    void twoServersShareAPortWithReusePortAsPreforkWorkersDo() throws Exception {
        EngineConfig first = EngineConfig.ephemeral().withListen(EngineConfig.Listen.REUSE_PORT);
        try (RunningServer a = new BlockingEngine().start(first, Application.experiment());
             RunningServer b = new BlockingEngine().start(first.withPort(a.port()), Application.experiment())) {
            assertThat(b.port()).isEqualTo(a.port());
            assertThat(concurrently(a.port(), 4, "/")).allSatisfy(r -> assertThat(r.status()).isEqualTo(200));
        }
    }
}
