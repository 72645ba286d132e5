package dev.serverlab.api;

import java.net.InetSocketAddress;

/** A started server. Closing it shuts it down gracefully. */
public interface RunningServer extends AutoCloseable {

    /** The address actually bound: when the config asked for port 0, this holds the ephemeral port. */
    InetSocketAddress address();

    default int port() {
        return address().getPort();
    }

    /** Model details worth showing a user, such as {@code transport=epoll}; empty when there are none. */
    default String details() {
        return "";
    }

    /**
     * Shuts down gracefully: stops accepting, lets in-flight requests finish within
     * {@link Limits#drainTimeout()}, closes idle keep-alive connections, then releases every thread and
     * socket. Idempotent; returns when everything is released.
     */
    @Override
    void close();
}
