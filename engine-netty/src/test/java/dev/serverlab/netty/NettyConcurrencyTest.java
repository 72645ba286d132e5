package dev.serverlab.netty;

import dev.serverlab.api.conformance.ConcurrencyShapes;
import dev.serverlab.api.ServerEngine;

class NettyConcurrencyTest extends ConcurrencyShapes {

    @Override
    protected ServerEngine engine() {
        return new NettyEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "netty-loop-";
    }
}
