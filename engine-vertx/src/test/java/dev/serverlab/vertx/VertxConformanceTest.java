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

    /**
     * Twenty connections, not six, in the burst that a fresh server's close() must answer: Vert.x once served
     * on the user's port during its warm-up, and a close in its first seconds dropped every accepted request.
     */
    @Override
    protected int shutdownBurst() {
        return 20;
    }
}
