package dev.serverlab.vertx;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

class VertxConformanceTest extends ConformanceSuite {

    @Override
    protected ServerEngine engine() {
        return new VertxEngine();
    }
}
