package dev.serverlab.netty;

import dev.serverlab.api.conformance.HttpContract;
import dev.serverlab.api.conformance.Wire;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.ServerEngine;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The same contract with CPU work on the offload pool. */
class NettyOffloadHttpTest extends HttpContract {

    @Override
    protected ServerEngine engine() {
        return new NettyEngine();
    }

    @Override
    protected EngineConfig config() {
        return super.config().withOption("offload", "2").withOption("loops", "1");
    }

    @Override
    protected String loopThreadPrefix() {
        return "netty-loop-";
    }

    @Test
    void cpuWorkIsServedByAnOffloadThread() throws IOException {
        Wire.Answer a = Wire.exchange(port(), Wire.get("/fib/25"));
        assertThat(a.text()).isEqualTo("75025\n");
        assertThat(a.header("X-Served-By")).matches(".*/netty-offload-\\d+");
        assertThat(server.details()).endsWith("loops=1 offload=2");
    }
}
