package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.server.Listener;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.util.concurrent.TimeUnit;

/**
 * One instance of the HTTP server: Vert.x deploys {@code --loops} of them, each on its own event loop, and
 * they share the listening port; Vert.x hands each new connection to one of them in turn.
 */
final class HttpVerticle extends VerticleBase {

    /**
     * Vert.x's decoder only ever sees the screen's canonical requests, which are never longer than the
     * client's, except for a Content-Length line added in place of chunked framing.
     */
    private static final int CANONICAL_SLACK = 64;

    private final ServerSetup setup;
    private HttpServer server;

    HttpVerticle(ServerSetup setup) {
        this.setup = setup;
    }

    @Override
    public Future<?> start() {
        Limits limits = setup.limits();
        HttpServerOptions options = new HttpServerOptions()
                .setHost(setup.host())
                .setPort(setup.listenPort())
                .setAcceptBacklog(Listener.BACKLOG)
                .setReuseAddress(true)
                .setTcpNoDelay(true)
                .setMaxInitialLineLength(limits.maxRequestLineBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes() + CANONICAL_SLACK)
                // Deadlines, 100 Continue and the HTTP/2 preface (505) are the screen's; Vert.x keeps to HTTP/1.x.
                .setIdleTimeout(0)
                .setHandle100ContinueAutomatically(false)
                .setHttp2ClearTextEnabled(false);
        Exchanges exchanges = new Exchanges(vertx, setup);
        server = vertx.createHttpServer(options)
                .requestHandler(exchanges::serve)
                .invalidRequestHandler(exchanges::invalid);
        return server.listen();
    }

    /** Stops accepting, lets in-flight requests finish within the drain timeout, then closes what is left. */
    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture()
                : server.shutdown(setup.limits().drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    int actualPort() {
        return server.actualPort();
    }
}
