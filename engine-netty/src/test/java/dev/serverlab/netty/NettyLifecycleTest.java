package dev.serverlab.netty;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.EventLoopLifecycleSuite;
import dev.serverlab.api.conformance.RawHttp;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kit's event-loop lifecycle on Netty, and what only Netty does: where it runs offloaded work, its backlog. */
class NettyLifecycleTest extends EventLoopLifecycleSuite {

    @Override
    protected ServerEngine engine() {
        return new NettyEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "netty-loop-";
    }

    @Override
    protected String offloadThreadPrefix() {
        return "netty-offload-";
    }

    /** Netty stops reading the listening socket at the limit: a client past it waits in the kernel's backlog. */
    @Test
    @SuppressWarnings("try")   // the first client leaves on purpose, inside the block
    void pastMaxConnectionsClientsWaitInTheBacklog() throws IOException {
        Limits limits = Limits.DEFAULTS.withMaxConnections(2);
        try (RunningServer server = engine().start(EngineConfig.ephemeral().withLimits(limits), Application.experiment());
             RawHttp first = RawHttp.connect(server.port());
             RawHttp second = RawHttp.connect(server.port())) {
            assertThat(first.send(RawHttp.request("/")).read().status()).isEqualTo(200);
            assertThat(second.send(RawHttp.request("/")).read().status()).isEqualTo(200);
            try (RawHttp third = RawHttp.connect(server.port())) {
                third.send(RawHttp.request("/")).timeout(700);
                assertThatThrownBy(third::read).as("not served while two are open").isInstanceOf(SocketTimeoutException.class);
                long releasedAt = Timing.nowMicros();
                first.close();
                RawHttp.Reply reply = third.timeout(20_000).read();
                assertThat(reply.status()).isEqualTo(200);
                assertThat(reply.acceptedMicros()).as("accepted only once a connection closed").isGreaterThanOrEqualTo(releasedAt);
            }
        }
    }
}
