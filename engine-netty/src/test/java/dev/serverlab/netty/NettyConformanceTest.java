package dev.serverlab.netty;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

class NettyConformanceTest extends ConformanceSuite {

    @Override
    protected ServerEngine engine() {
        return new NettyEngine();
    }
}
