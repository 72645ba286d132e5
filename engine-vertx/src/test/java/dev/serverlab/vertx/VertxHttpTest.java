package dev.serverlab.vertx;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class VertxHttpTest extends VertxHttpContract {

    @Test
    void detailsNameTheTransport() {
        assertThat(server.details()).matches("transport=epoll loops=\\d+ offload=off");
    }
}
