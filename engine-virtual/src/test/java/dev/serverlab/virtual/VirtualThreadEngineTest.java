package dev.serverlab.virtual;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.RawHttp.Reply;
import dev.serverlab.api.conformance.ShapeApplication;
import dev.serverlab.api.conformance.ThreadShellSuite;
import dev.serverlab.api.server.ThreadServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
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
    void showsThePollerModeTheJvmWasGivenAndSetsNone() throws Exception {
        String given = System.getProperty("jdk.pollerMode");
        assertThat(start(EngineConfig.ephemeral()).details())
                .contains("jdk.pollerMode=" + (given == null ? "the JDK's default" : given));
        assertThat(System.getProperty("jdk.pollerMode")).as("a JVM-wide setting is the application's").isEqualTo(given);
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

    /**
     * Every carrier spins in a CPU step ({@link ShapeApplication}'s {@code /hold}), so a connection accepted then
     * has a virtual thread that cannot run yet; close() begins (the listener is gone), and only then are the
     * carriers freed: the waiting connection, accepted before close(), is served. Each step is seen on the
     * server (spinning, accepted but not started, refusing connections), with no guess at how long fib takes.
     */
    @Test
    void closeServesAConnectionWhoseThreadWaitsForACarrier() throws Exception {
        ShapeApplication app = new ShapeApplication();
        ThreadServer server = start(EngineConfig.ephemeral(), app);
        Future<List<Reply>> holds = inBackground(server.port(), CORES, "/hold");
        awaitValue(app::holding, CORES);
        Future<List<Reply>> hello = inBackground(server.port(), 1, "/");
        awaitValue(server::waiting, 1);   // accepted; its virtual thread waits for a carrier

        Thread closer = Thread.ofPlatform().name("closer").start(server::close);
        awaitRefused(server.port());
        app.release();

        assertThat(holds.get(30, TimeUnit.SECONDS)).allSatisfy(a -> assertThat(a.text()).isEqualTo("released\n"));
        assertThat(hello.get(30, TimeUnit.SECONDS).get(0).status()).as("accepted before close, so served").isEqualTo(200);
        assertThat(closer.join(Duration.ofSeconds(30))).as("close() returned").isTrue();
        assertThat(server.threadsTerminated()).isTrue();
        assertThat(threadsOutlivingClose("virtual-acceptor")).isEmpty();
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
