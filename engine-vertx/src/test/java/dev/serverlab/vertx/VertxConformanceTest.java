package dev.serverlab.vertx;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

@ExtendWith(VertxKnownDifferences.class)
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
