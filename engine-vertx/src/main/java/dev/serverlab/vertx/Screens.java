package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.AccessLog;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The screens of one server's connections. As the listening channel's handler it sees each connection as
 * it is accepted: it stamps the accept time, puts a {@link RequestScreen} first in the connection's pipeline
 * (ahead of everything Vert.x adds), and files the screen under the client's address, where the Vert.x
 * request handler finds it again.
 *
 * <p>It also holds the server's secret: a refusal reaches Vert.x as a request carrying a
 * {@value #REFUSAL_HEADER} header that starts with the secret, so no client can forge one.
 */
@ChannelHandler.Sharable
final class Screens extends ChannelInboundHandlerAdapter {

    static final String REFUSAL_HEADER = "X-Serverlab-Refusal";

    private final Limits limits;
    private final AccessLog accessLog;
    private final String secret;
    private final Map<SocketAddress, RequestScreen> byClient = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean quiet;

    Screens(Limits limits, AccessLog accessLog) {
        this.limits = limits;
        this.accessLog = accessLog;
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        this.secret = HexFormat.of().formatHex(random);
    }

    String secret() {
        return secret;
    }

    Limits limits() {
        return limits;
    }

    /** The screen of the connection from {@code client}, or null if it is gone. */
    RequestScreen of(String host, int port) {
        return byClient.get(new InetSocketAddress(host, port));
    }

    /** While quiet (the warm-up), accepted connections are not logged. */
    void quiet(boolean on) {
        quiet = on;
    }

    int openConnections() {
        return open.get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        SocketAddress client = child.remoteAddress();
        if (open.incrementAndGet() > limits.maxConnections()) {
            // Vert.x has no accept gate; a connection past the limit is refused at once (it is not registered yet).
            open.decrementAndGet();
            child.unsafe().closeForcibly();
            return;
        }
        if (!quiet) accessLog.accepted(client);
        RequestScreen screen = new RequestScreen(this, Timing.nowMicros());
        child.pipeline().addFirst("serverlab-screen", screen);
        if (client != null) byClient.put(client, screen);
        child.closeFuture().addListener(f -> {
            open.decrementAndGet();
            if (client != null) byClient.remove(client, screen);
        });
        ctx.fireChannelRead(child);
    }
}
