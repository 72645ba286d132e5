package dev.serverlab.netty;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which Netty transport the engine runs on: the kit does not ask this of every engine. */
class NettyHttpTest {

    @Test
    void detailsNameTheTransport() throws IOException {
        try (RunningServer server = new NettyEngine().start(EngineConfig.ephemeral(), Application.experiment())) {
            assertThat(server.details()).matches("transport=(epoll|nio) loops=\\d+ offload=off");
        }
    }

    @Test
    void epollLoadsOnThisLinuxMachine() {
        // The native library ships in the build for linux-x86_64; NIO is only the fallback elsewhere.
        assertThat(NettyEngine.Transport.best().name()).as(NettyEngine.Transport.best().why()).isEqualTo("epoll");
    }
}
