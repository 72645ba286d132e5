package dev.serverlab.vertx;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.HttpContract;
import dev.serverlab.api.conformance.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The raw-client contract on Vert.x, with its known differences (and the checks that stop at one made here). */
@ExtendWith(VertxKnownDifferences.class)
abstract class VertxHttpContract extends HttpContract {

    @Override
    protected ServerEngine engine() {
        return new VertxEngine();
    }

    @Override
    protected String loopThreadPrefix() {
        return "vert.x-eventloop-thread-";
    }

    /** The contract's list of refusals, past the first version line, where the contract's own check stops. */
    @Test
    void malformedRequestsGetTheSharedStatusesOrVertxsOwn501ForAVersion() throws IOException {
        assertRefused("GARBAGE\r\n\r\n", 400);
        assertRefused("GET /\r\n\r\n", 400);
        assertRefused("GET / HTTP/1.1\r\n\r\n", 400);
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
        assertRefused("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400);
        assertRefused("GET nowhere HTTP/1.1\r\nHost: a\r\n\r\n", 400);
        for (String version : new String[] {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}) {
            try (Wire wire = Wire.connect(port())) {
                assertThat(wire.send(version).read().status()).as(version).isEqualTo(501);
                assertThat(wire.closedByServer()).isTrue();
            }
        }
        assertRefused("GET / HTTP/11\r\nHost: a\r\n\r\n", 400);
        assertRefused("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414);
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(17_000) + "\r\n\r\n", 431);
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\n" + "X-Many: 1\r\n".repeat(101) + "\r\n", 431);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n", 413);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
        assertRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        assertRefused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: magic\r\n\r\nab", 417);
    }
}
