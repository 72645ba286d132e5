package dev.serverlab.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The first handler: tells {@link ExchangeHandler} that bytes arrived before the codec sees them. The
 * header-read deadline starts at a request's first byte, which only a handler ahead of the decoder can see.
 */
final class ArrivalWatch extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.fireUserEventTriggered(Signal.BYTES);
        ctx.fireChannelRead(msg);
    }
}
