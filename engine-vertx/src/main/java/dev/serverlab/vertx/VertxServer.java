package dev.serverlab.vertx;

import dev.serverlab.api.RunningServer;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A started Vert.x server. Closing it marks the server as draining (answers say {@code Connection: close}),
 * then closes Vert.x, which undeploys every verticle: each one's {@code stop()} shuts its HttpServer down
 * gracefully (no new connections, idle ones closed, in-flight requests answered within the drain timeout),
 * and then the event loops and worker pools stop.
 */
final class VertxServer implements RunningServer {

    private static final Logger log = LoggerFactory.getLogger(VertxServer.class);

    private final Vertx vertx;
    private final ServerSetup setup;
    private final InetSocketAddress address;
    private final String details;
    private boolean closed;

    VertxServer(Vertx vertx, ServerSetup setup, InetSocketAddress address, String details) {
        this.vertx = vertx;
        this.setup = setup;
        this.address = address;
        this.details = details;
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String details() {
        return details;
    }

    BlockedLoopWarning blockedLoopWarning() {
        return setup.warning;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        setup.startDraining();
        closeQuietly(vertx, setup.limits.drainTimeout());
    }

    static void closeQuietly(Vertx vertx, Duration drain) {
        try {
            VertxEngine.await(vertx.close(), drain.plusSeconds(5));
        } catch (IOException | RuntimeException e) {
            log.warn("Vert.x did not close cleanly: {}", e.getMessage());
        }
    }
}
