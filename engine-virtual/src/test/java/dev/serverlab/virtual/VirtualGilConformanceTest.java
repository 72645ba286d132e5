package dev.serverlab.virtual;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

/** The same kit with the GIL on: the lock must not change what the server answers. */
class VirtualGilConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new VirtualThreadEngine();
    }

    @Override
    protected EngineConfig config() {
        return super.config().withOption("gil", "true");
    }
}
