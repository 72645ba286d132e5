package dev.serverlab.nio;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

/** The shared contract with CPU work offloaded to a pool and connections spread over two loops. */
class NioOffloadConformanceTest extends ConformanceSuite {

    /** The same codec as the engine's main conformance class: the byte-level cases run there, a smoke subset here. */
    @Override
    protected boolean variant() {
        return true;
    }

    @Override
    protected ServerEngine engine() {
        return new NioEngine();
    }

    @Override
    protected EngineConfig config() {
        return super.config().withOption("offload", "2").withOption("loops", "2");
    }
}
