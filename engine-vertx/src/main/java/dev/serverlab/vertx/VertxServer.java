package dev.serverlab.vertx;

import dev.serverlab.api.RunningServer;
import io.vertx.core.Vertx;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A started server. close() marks it draining (answers say {@code Connection: close}), then closes Vert.x,
 * which undeploys every verticle: each one's {@code stop()} shuts its HttpServer down gracefully (no new
 * connections, idle ones closed, in-flight requests answered within the drain timeout), then the loops
 * and pools stop.
 */
record VertxServer(Vertx vertx, ServerSetup setup, InetSocketAddress address, String details) implements RunningServer {

    @Override
    public void close() {
        synchronized (setup) {
            if (setup.draining) return;
            setup.draining = true;
        }
        closeQuietly(vertx, setup.limits.drainTimeout());
    }

    static void closeQuietly(Vertx vertx, Duration drain) {
        try {
            vertx.close().await(drain.plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
            LoggerFactory.getLogger(VertxServer.class).warn("Vert.x did not close cleanly: {}", e.toString());
        }
    }
}
