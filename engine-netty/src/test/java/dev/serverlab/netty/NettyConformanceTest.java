package dev.serverlab.netty;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

import java.util.Map;

class NettyConformanceTest extends ConformanceSuite {

    @Override
    protected ServerEngine engine() {
        return new NettyEngine();
    }

    @Override
    protected Map<String, Integer> statusChoices() {
        return NettyStatusChoices.CHOICES;
    }
}
