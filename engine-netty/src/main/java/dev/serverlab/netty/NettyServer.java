package dev.serverlab.netty;

import dev.serverlab.api.RunningServer;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
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
    private static final Duration QUIET_PERIOD = Duration.ofMillis(50);

    private final Channel listener;
    private final ChannelGroup channels;
    private final ServerContext context;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final InetSocketAddress address;
    private final String details;
    private boolean closed;

    NettyServer(Channel listener, ChannelGroup channels, ServerContext context, EventLoopGroup acceptor,
                EventLoopGroup workers, String details) {
        this.listener = listener;
        this.channels = channels;
        this.context = context;
        this.acceptor = acceptor;
        this.workers = workers;
        this.address = (InetSocketAddress) listener.localAddress();
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

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Duration drain = context.limits().drainTimeout();
        listener.close().awaitUninterruptibly();
        context.startDraining();
        channels.forEach(ch -> ch.pipeline().fireUserEventTriggered(Signal.DRAIN));
        if (!channels.newCloseFuture().awaitUninterruptibly(drain.toMillis())) {
            log.warn("{} connections still busy after the drain timeout of {}; closing them", channels.size(), drain);
            channels.close().awaitUninterruptibly(1000);
        }
        release(acceptor, workers, context.offload(), drain);
    }

    /** Stops the loops and the pool, waiting a bounded time for each. */
    static void release(EventLoopGroup acceptor, EventLoopGroup workers, ExecutorService offload, Duration drain) {
        long quiet = Math.min(QUIET_PERIOD.toMillis(), drain.toMillis());
        acceptor.shutdownGracefully(quiet, drain.toMillis(), TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(quiet, drain.toMillis(), TimeUnit.MILLISECONDS);
        if (offload != null) offload.shutdownNow();
        boolean stopped = acceptor.terminationFuture().awaitUninterruptibly(drain.toMillis() + 1000)
                & workers.terminationFuture().awaitUninterruptibly(drain.toMillis() + 1000);
        if (!stopped) log.warn("event loops still running {} after shutdown; a CPU step may be holding one", drain);
        if (offload != null) {
            try {
                if (!offload.awaitTermination(drain.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("offload threads still computing after {}; they are daemons and will not hold the JVM", drain);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
