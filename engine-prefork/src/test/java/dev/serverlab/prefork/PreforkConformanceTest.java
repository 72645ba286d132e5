package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;
import dev.serverlab.api.conformance.ResourceProbe;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared contract, on 4 worker processes (the default) sharing one listening socket. */
@ExtendWith(NoProcessLeftBehind.class)
class PreforkConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new PreforkEngine();
    }

    /** The leak checks count what the workers hold too, not only this (parent) JVM. */
    @Override
    protected ResourceProbe.Snapshot resources() {
        return WorkerResources.snapshot();
    }

    /**
     * Each worker serves one connection at a time, so a total cap below the worker count cannot hold: the
     * maxConnections case runs on one worker.
     */
    @Override
    protected EngineConfig maxConnectionsConfig() {
        return super.maxConnectionsConfig().withWorkers(1);
    }
}
