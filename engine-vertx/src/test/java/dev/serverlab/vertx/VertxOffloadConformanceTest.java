package dev.serverlab.vertx;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

import java.util.Map;

/** The contract with CPU work offloaded, on a single event loop. */
class VertxOffloadConformanceTest extends ConformanceSuite {

    /** The same codec as the engine's main conformance class: the byte-level cases run there, a smoke subset here. */
    @Override
    protected boolean variant() {
        return true;
    }

    @Override
    protected ServerEngine engine() {
        return new VertxEngine();
    }

    @Override
    protected EngineConfig config() {
        return super.config().withOption("offload", "2").withOption("loops", "1");
    }

    @Override
    protected Map<String, Integer> statusChoices() {
        return VertxStatusChoices.CHOICES;
    }
}
