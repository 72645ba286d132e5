/** Netty 4.2 event loops: epoll when the native transport loads, else NIO. */
module dev.serverlab.netty {
    requires dev.serverlab.api;
    requires org.slf4j;
    requires io.netty.buffer;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires io.netty.common;
    requires io.netty.handler;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;

    provides dev.serverlab.api.ServerEngine with dev.serverlab.netty.NettyEngine;
}
