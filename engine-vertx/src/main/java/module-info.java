/** Vert.x 5 HttpServer verticles on event loops. */
module dev.serverlab.vertx {
    requires dev.serverlab.api;
    requires org.slf4j;
    requires io.vertx.core;
    requires io.netty.codec;
    requires io.netty.codec.http;

    provides dev.serverlab.api.ServerEngine with dev.serverlab.vertx.VertxEngine;
}
