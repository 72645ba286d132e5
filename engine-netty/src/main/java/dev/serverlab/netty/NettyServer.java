package dev.serverlab.netty;

import dev.serverlab.api.RunningServer;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A started Netty server. Closing it:
 *
 * <pre>
 *   close the listening channel            no new connections
 *   drain: idle connections close now;     busy ones answer with Connection: close, then close
 *   after drainTimeout, force-close the rest
 *   shutdownGracefully the loops (short quiet period), stop the offload pool
 * </pre>
 */
final class NettyServer implements RunningServer {

    private static final Logger log = LoggerFactory.getLogger(NettyServer.class);
    /** A loop shuts down once no task arrived for this long; in-flight work was already drained. */
    private static final long QUIET_MILLIS = 50;

    private final ChannelGroup channels;
    private final HttpPipeline pipeline;
    final EventLoopGroup acceptor;
    final EventLoopGroup workers;
    Channel listener;
    String details;
    private boolean closed;

    NettyServer(ChannelGroup channels, HttpPipeline pipeline, EventLoopGroup acceptor, EventLoopGroup workers) {
        this.channels = channels;
        this.pipeline = pipeline;
        this.acceptor = acceptor;
        this.workers = workers;
    }

    @Override
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public String details() {
        return details;
    }

    /** Closes as the diagram says; a second call does nothing. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        long drain = pipeline.limits.drainTimeout().toMillis();
        listener.close().awaitUninterruptibly();
        pipeline.draining = true;
        channels.forEach(ch -> ch.pipeline().fireUserEventTriggered(ExchangeHandler.DRAIN));
        if (!channels.newCloseFuture().awaitUninterruptibly(drain)) {
            log.warn("{} connections still busy after the drain timeout of {} ms; closing them", channels.size(), drain);
            channels.close().awaitUninterruptibly(1000);
        }
        release();
    }

    /** Stops the loops and the pool, waiting a bounded time for each. */
    void release() {
        long drain = pipeline.limits.drainTimeout().toMillis();
        acceptor.shutdownGracefully(Math.min(QUIET_MILLIS, drain), drain, TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(Math.min(QUIET_MILLIS, drain), drain, TimeUnit.MILLISECONDS);
        // The pool's threads are daemons: CPU work still running cannot be cut short, and will not hold the JVM.
        if (pipeline.offload != null) pipeline.offload.shutdownNow();
        boolean stopped = acceptor.terminationFuture().awaitUninterruptibly(drain + 1000)
                & workers.terminationFuture().awaitUninterruptibly(drain + 1000);
        if (!stopped) log.warn("event loops still running {} ms after shutdown; a CPU step may be holding one", drain);
    }
}
