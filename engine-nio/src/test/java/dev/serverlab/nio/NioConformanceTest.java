package dev.serverlab.nio;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

/** The shared contract, on one loop with CPU work inline. */
class NioConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new NioEngine();
    }
}
