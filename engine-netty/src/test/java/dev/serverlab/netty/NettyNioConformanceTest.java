package dev.serverlab.netty;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.conformance.ConformanceSuite;

import java.util.Map;

/** The contract on the JDK's NIO selector, the transport used where epoll does not load. */
class NettyNioConformanceTest extends ConformanceSuite {

    /** The same codec as the engine's main conformance class: the byte-level cases run there, a smoke subset here. */
    @Override
    protected boolean variant() {
        return true;
    }

    @Override
    protected ServerEngine engine() {
        return new NettyEngine(() -> NettyEngine.Transport.nio("test"));
    }

    @Override
    protected Map<String, Integer> statusChoices() {
        return NettyStatusChoices.CHOICES;
    }
}
