package dev.serverlab.blocking;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

class BlockingConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new BlockingEngine();
    }
}
