package dev.serverlab.virtual;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.RawHttp.Reply;
import dev.serverlab.api.conformance.ThreadShellSuite;
import dev.serverlab.api.server.ThreadServer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.serverlab.api.conformance.Clients.inBackground;
import static dev.serverlab.api.conformance.Clients.maxInService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The thread shell's suite on a virtual thread per connection, and what only virtual threads show. */
class VirtualThreadEngineTest extends ThreadShellSuite {

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    @Override
    protected ServerEngine engine() {
        return new VirtualThreadEngine();
    }

    @Override
    protected String servingThread() {
        return "virtual-\\d+";
    }

    @Test
    void isFoundByName() {
        assertThat(Engines.discover().find("virtual")).isInstanceOf(VirtualThreadEngine.class);
    }

    @Test
    void showsItsCarriers() throws Exception {
        assertThat(start(EngineConfig.ephemeral()).details()).contains("carriers=" + CORES);
    }

    @Test
    void tenSleepsOverlapOnTenVirtualThreads() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        List<Reply> answers = sentTogether(server.port(), 10, "/sleep/300");

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(maxInService(answers)).as("all ten in service at once: one round").isEqualTo(10);
        assertThat(answers.stream().map(Reply::servedBy).distinct()).hasSize(10);
    }

    @Test
    void cpuBoundRequestsRunCoresAtATimeEachToCompletion() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        String path = "/fib/" + (calibrate(server.port()) + 2);   // long enough that clients arriving late still overlap
        List<Reply> answers = sentTogether(server.port(), 2 * CORES, path);
        // A virtual thread keeps its carrier until its fib is done: never more in service than carriers.
        assertThat(maxInService(answers)).as(describe(answers)).isLessThanOrEqualTo(CORES);
        if (CORES >= 2) assertThat(maxInService(answers)).as(describe(answers)).isGreaterThanOrEqualTo(2);
    }

    @Test
    void closeServesAConnectionWhoseThreadWaitsForACarrier() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        String path = "/fib/" + (calibrate(server.port()) + 2);   // about half a second or more
        Future<List<Reply>> fibs = inBackground(server.port(), CORES, path);
        awaitValue(server::openConnections, CORES);
        Thread.sleep(50);   // let the fibs take every carrier
        Future<List<Reply>> hello = inBackground(server.port(), 1, "/");
        awaitValue(server::openConnections, CORES + 1);

        server.close();

        assertThat(fibs.get(30, TimeUnit.SECONDS)).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(hello.get(30, TimeUnit.SECONDS).get(0).status()).as("accepted before close, so served").isEqualTo(200);
        assertThat(server.threadsTerminated()).isTrue();
        assertThat(liveThreadsNamed("virtual-acceptor")).isEmpty();
    }

    @Test
    void optionsAreChecked() {
        VirtualThreadEngine engine = new VirtualThreadEngine();
        assertThat(engine.options()).extracting(o -> o.name()).containsExactly("gil", "switch-interval");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withWorkers(4), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--workers");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withOption("switch-interval", "5ms"), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--gil");
    }
}
