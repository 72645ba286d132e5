package dev.serverlab.vertx;

import dev.serverlab.api.conformance.Wire;
import dev.serverlab.api.EngineConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The same contract with CPU work on the worker pool. */
class VertxOffloadHttpTest extends VertxHttpContract {

    @Override
    protected EngineConfig config() {
        return super.config().withOption("offload", "2").withOption("loops", "1");
    }

    @Test
    void cpuWorkIsServedByAnOffloadThread() throws IOException {
        Wire.Answer a = Wire.exchange(port(), Wire.get("/fib/25"));
        assertThat(a.text()).isEqualTo("75025\n");
        assertThat(a.header("X-Served-By")).matches(".*/vertx-offload-\\d+");
        assertThat(server.details()).endsWith("loops=1 offload=2");
    }
}
