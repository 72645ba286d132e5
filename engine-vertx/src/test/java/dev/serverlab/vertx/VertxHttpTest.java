package dev.serverlab.vertx;

import dev.serverlab.api.conformance.HttpContract;
import dev.serverlab.api.ServerEngine;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class VertxHttpTest extends HttpContract {

    @Override
    protected ServerEngine engine() {
        return new VertxEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "vert.x-eventloop-thread-";
    }

    @Test
    void detailsNameTheTransport() {
        assertThat(server.details()).matches("transport=epoll loops=\\d+ offload=off");
    }
}
