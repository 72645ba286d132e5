package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared contract, on 4 worker processes (the default). */
@ExtendWith(NoProcessLeftBehind.class)
class PreforkConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new PreforkEngine();
    }

    /**
     * Each worker serves one connection at a time and the kernel picks the worker, so a total cap below the
     * worker count cannot hold: the maxConnections case runs on one worker.
     */
    @Override
    protected EngineConfig maxConnectionsConfig() {
        return super.maxConnectionsConfig().withWorkers(1);
    }
}
