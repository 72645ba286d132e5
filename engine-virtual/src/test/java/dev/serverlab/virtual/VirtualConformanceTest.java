package dev.serverlab.virtual;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

class VirtualConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new VirtualThreadEngine();
    }
}
