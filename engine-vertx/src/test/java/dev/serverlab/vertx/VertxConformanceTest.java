package dev.serverlab.vertx;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

import java.util.Map;

class VertxConformanceTest extends ConformanceSuite {

    @Override
    protected ServerEngine engine() {
        return new VertxEngine();
    }

    @Override
    protected Map<String, Integer> statusChoices() {
        return VertxStatusChoices.CHOICES;
    }
}
