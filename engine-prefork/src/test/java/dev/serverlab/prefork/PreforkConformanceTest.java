package dev.serverlab.prefork;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared contract, on 4 worker processes (the default). */
@ExtendWith(NoProcessLeftBehind.class)
class PreforkConformanceTest extends ConformanceSuite {
    @Override
    protected ServerEngine engine() {
        return new PreforkEngine();
    }
}
