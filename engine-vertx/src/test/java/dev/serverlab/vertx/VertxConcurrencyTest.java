package dev.serverlab.vertx;

import dev.serverlab.api.conformance.ConcurrencyShapes;
import dev.serverlab.api.ServerEngine;

class VertxConcurrencyTest extends ConcurrencyShapes {

    @Override
    protected ServerEngine engine() {
        return new VertxEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "vert.x-eventloop-thread-";
    }
}
