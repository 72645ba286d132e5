package dev.serverlab.prefork;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

/** The shared contract, on 4 worker processes (the default). */
class PreforkConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new PreforkEngine();
    }
}
