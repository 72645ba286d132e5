package dev.serverlab.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose responses have made no progress for {@code idleTimeout}: the client stopped
 * reading, the kernel's buffers are full, and what we wrote waits in the channel's outbound buffer.
 * A connection that writes nothing because it has nothing to write (idle, or a request still working) is
 * not stalled: only pending bytes that do not move count. First in the pipeline, it sees every write.
 */
final class WriteStall extends IdleStateHandler {

    private static final Logger log = LoggerFactory.getLogger(WriteStall.class);

    private final Duration limit;

    WriteStall(Duration limit) {
        // observeOutput: a slow reader that still drains our output is making progress, not stalled.
        super(true, 0, limit.toNanos(), 0, TimeUnit.NANOSECONDS);
        this.limit = limit;
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() != IdleState.WRITER_IDLE) return;
        ChannelOutboundBuffer pending = ctx.channel().unsafe().outboundBuffer();
        if (pending != null && pending.totalPendingWriteBytes() > 0) {
            log.debug("closing the connection from {}: it read nothing for {}", ctx.channel().remoteAddress(), limit);
            ctx.close();
        }
    }
}
