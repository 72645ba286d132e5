package dev.serverlab.netty;

import dev.serverlab.api.conformance.HttpContract;
import dev.serverlab.api.ServerEngine;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NettyHttpTest extends HttpContract {

    @Override
    protected ServerEngine engine() {
        return new NettyEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "netty-loop-";
    }

    @Test
    void detailsNameTheTransport() {
        assertThat(server.details()).matches("transport=(epoll|nio) loops=\\d+ offload=off");
    }

    @Test
    void epollLoadsOnThisLinuxMachine() {
        // The native library ships in the build for linux-x86_64; NIO is only the fallback elsewhere.
        assertThat(Transport.best().name()).as(Transport.best().why()).isEqualTo("epoll");
    }
}
