package dev.serverlab.threadpool;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

class ThreadPoolConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new ThreadPoolEngine();
    }
}
