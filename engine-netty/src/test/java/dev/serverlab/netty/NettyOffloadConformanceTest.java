package dev.serverlab.netty;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

import java.util.Map;

/** The contract with CPU work offloaded, on a single event loop. */
class NettyOffloadConformanceTest extends ConformanceSuite {

    @Override
    protected ServerEngine engine() {
        return new NettyEngine();
    }

    @Override
    protected EngineConfig config() {
        return super.config().withOption("offload", "2").withOption("loops", "1");
    }

    @Override
    protected Map<String, Integer> statusChoices() {
        return NettyStatusChoices.CHOICES;
    }
}
