package dev.serverlab.netty;

import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.AccessLog;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.AttributeKey;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * On the listening channel, ahead of Netty's acceptor: stamps each connection with its accept time (before
 * it waits for a busy event loop, so the timing headers show that wait), tracks it for shutdown, and stops
 * accepting at {@code maxConnections}, leaving further clients in the kernel's backlog until one closes.
 */
final class AcceptGate extends ChannelInboundHandlerAdapter {

    /** Epoch microseconds at which the connection was accepted. */
    static final AttributeKey<Long> ACCEPTED_AT = AttributeKey.valueOf("serverlab.acceptedAt");

    private final int maxConnections;
    private final ChannelGroup channels;
    private final AccessLog accessLog;
    private final AtomicInteger open = new AtomicInteger();

    AcceptGate(int maxConnections, ChannelGroup channels, AccessLog accessLog) {
        this.maxConnections = maxConnections;
        this.channels = channels;
        this.accessLog = accessLog;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        child.attr(ACCEPTED_AT).set(Timing.nowMicros());
        accessLog.accepted(child.remoteAddress());
        channels.add(child);
        if (open.incrementAndGet() >= maxConnections) ctx.channel().config().setAutoRead(false);
        child.closeFuture().addListener(f -> {
            if (open.decrementAndGet() < maxConnections) {
                ctx.executor().execute(() -> {
                    if (ctx.channel().isOpen()) ctx.channel().config().setAutoRead(true);
                });
            }
        });
        ctx.fireChannelRead(child);
    }
}
