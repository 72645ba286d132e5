package dev.serverlab.netty;

import dev.serverlab.api.*;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.*;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.*;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.*;
import io.netty.channel.group.*;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.*;
import org.slf4j.*;

import java.io.IOException;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Netty's event loops: the model of nginx and Node, on the library most Java servers are built on.
 *
 * <pre>
 *   clients ─► netty-accept ─► netty-loop-1 … N (epoll or NIO; a connection lives on one loop)
 *              Acceptor: accept time, maxConnections      │
 *                 IdleStateHandler ─ RequestDecoder ─ HttpResponseEncoder ─ ExchangeHandler
 *                 /sleep/{ms}  a timer on the loop: the loop serves others meanwhile
 *                 /fib/{n}     inline: the loop computes, every connection on it waits;
 *                              --offload N: netty-offload-1 … N compute, the answer is a task on the loop
 * </pre>
 *
 * Options: {@code --loops N} event-loop threads (default: the cores), {@code --offload N} threads for CPU
 * work (default: none, inline). {@code -Dserverlab.netty.transport=nio} picks the JDK's selector over epoll.
 */
public final class NettyEngine implements ServerEngine {

    private static final Logger log = LoggerFactory.getLogger(NettyEngine.class);
    private final Supplier<Transport> transports;

    public NettyEngine() {
        this(Transport::best);
    }

    /** For tests: an engine on a given transport. */
    NettyEngine(Supplier<Transport> transports) {
        this.transports = transports;
    }

    @Override
    public String name() {
        return "netty";
    }

    @Override
    public String description() {
        return "Netty 4.2 event loops (epoll or NIO); timers for waits, CPU work inline or --offload to a pool";
    }

    @Override
    public List<EngineOption> options() {
        return List.of(new EngineOption("loops", EngineOption.Kind.COUNT, "event-loop threads (default: the number of cores)"),
                new EngineOption("offload", EngineOption.Kind.COUNT, "run CPU work on a pool of N threads instead of the event loop"));
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        int loops = config.count("loops", Runtime.getRuntime().availableProcessors()), threads = config.count("offload", 0);
        Transport transport = transports.get();
        warmUp(config.limits());
        // Pool threads are daemons: CPU work cannot be interrupted, and must not keep the JVM alive after close.
        ExecutorService offload = threads == 0 ? null : Executors.newFixedThreadPool(threads, threads("netty-offload", true));
        HttpPipeline pipeline = new HttpPipeline(application, config.limits(), new AccessLog(config.accessLog()), offload);
        ChannelGroup channels = new DefaultChannelGroup("serverlab-netty", GlobalEventExecutor.INSTANCE);
        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, threads("netty-accept", false), transport.factory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(loops, threads("netty-loop", false), transport.factory());
        ServerBootstrap bootstrap = new ServerBootstrap().group(acceptor, workers).channel(transport.channel())
                .option(ChannelOption.SO_BACKLOG, Listener.BACKLOG).option(ChannelOption.SO_REUSEADDR, true)
                .handler(new Acceptor(pipeline, channels))
                .childOption(ChannelOption.TCP_NODELAY, true)
                // A client may shut its output once its requests are sent (RFC 9112 §9.6): ours stays open for the answers.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(pipeline);
        transport.capUnsentAnswers(bootstrap);
        Channel listener;
        try {
            listener = bootstrap.bind(Listener.address(config)).sync().channel();
        } catch (Exception e) {
            new Server(null, channels, pipeline, acceptor, workers, null).release();
            String message = String.valueOf(e.getMessage());
            boolean taken = e instanceof BindException || message.contains("Address already in use") || message.contains("Cannot assign requested address");
            if (taken) throw new Listener.PortInUseException(config.host(), config.port(), e);    // as every engine says it
            throw e instanceof IOException io ? io : new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + message, e);
        }
        String details = "transport=" + transport.name() + " loops=" + loops + " offload=" + (threads == 0 ? "off" : threads);
        log.info("netty listening on {} with {} ({}), CPU work {}", listener.localAddress(), details, transport.why(),
                threads == 0 ? "inline on the loops" : "offloaded to " + threads + " threads");
        return new Server(listener, channels, pipeline, acceptor, workers, details);
    }

    /**
     * A few of the experiment's requests through a pipeline on an {@link EmbeddedChannel}, in this thread and
     * before the port is bound, so the first client does not wait for class loading: no socket, no event loop
     * held up, never the user's application, nothing in the access log.
     */
    static void warmUp(Limits limits) {
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            channel.attr(HttpPipeline.ACCEPTED_AT).set(0L);
            channel.pipeline().addLast(new HttpPipeline(Application.experiment(), limits, new AccessLog(false), null));
            channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: w\r\n\r\nHEAD /fib/1 HTTP/1.1\r\nHost: w\r\n\r\n"
                    + "POST / HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nBAD\r\n\r\n", StandardCharsets.ISO_8859_1));
        } catch (RuntimeException e) {
            log.debug("warm-up failed; the first requests will be slower", e);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** Threads named {@code prefix-1}, {@code prefix-2}, …: the lab colours its timelines by these names. */
    static ThreadFactory threads(String prefix, boolean daemon) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread t = new FastThreadLocalThread(task, prefix + "-" + count.incrementAndGet());
            t.setDaemon(daemon);
            return t;
        };
    }

    /**
     * How the loops wait for sockets: Linux epoll through Netty's native library when it loads (fewer system
     * calls), else the JDK's NIO selector; {@code -Dserverlab.netty.transport=nio} asks for NIO.
     */
    record Transport(String name, IoHandlerFactory factory, Class<? extends ServerChannel> channel, String why) {

        static Transport best() {
            if ("nio".equalsIgnoreCase(System.getProperty("serverlab.netty.transport"))) return nio("-Dserverlab.netty.transport=nio");
            if (Epoll.isAvailable()) return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, "native epoll loaded");
            return nio("epoll unavailable: " + Epoll.unavailabilityCause());
        }

        static Transport nio(String why) {
            return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, why);
        }

        /**
         * Caps what the kernel queues of a connection's answers that its client has not taken, at about what the
         * channel itself holds before it turns unwritable (Netty's high-water mark). Left alone, Linux grows a
         * socket's send buffer up to tcp_wmem's maximum (4 MiB): a pipelining client that never reads would have
         * some 12,000 requests answered into it before reading stops. Epoll caps the bytes not yet sent
         * (TCP_NOTSENT_LOWAT) and keeps the buffer's autotuning for clients that read; the JDK's sockets can
         * only fix the buffer's size.
         */
        void capUnsentAnswers(ServerBootstrap bootstrap) {
            int bytes = WriteBufferWaterMark.DEFAULT.high();
            if (channel == EpollServerSocketChannel.class) bootstrap.childOption(EpollChannelOption.TCP_NOTSENT_LOWAT, (long) bytes);
            else bootstrap.childOption(ChannelOption.SO_SNDBUF, bytes);
        }
    }

    /**
     * On the listening channel, ahead of Netty's acceptor: stamps the accept time (before the connection waits
     * for a busy loop, so the timing headers show that wait), tracks the connection for close(), and at
     * maxConnections turns the listener's AUTO_READ off: Netty stops accepting, and further clients wait in
     * the kernel's backlog until a connection closes.
     */
    private static final class Acceptor extends ChannelInboundHandlerAdapter {
        private final HttpPipeline pipeline;
        private final ChannelGroup channels;    // a closed channel leaves it

        Acceptor(HttpPipeline pipeline, ChannelGroup channels) {
            this.pipeline = pipeline;
            this.channels = channels;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            child.attr(HttpPipeline.ACCEPTED_AT).set(Timing.nowMicros());
            pipeline.accessLog.accepted(child.remoteAddress());
            channels.add(child);
            if (channels.size() >= pipeline.limits.maxConnections()) ctx.channel().config().setAutoRead(false);
            child.closeFuture().addListener(f -> ctx.executor().execute(() -> {
                if (channels.size() < pipeline.limits.maxConnections()) ctx.channel().config().setAutoRead(true);
            }));
            ctx.fireChannelRead(child);
        }
    }

    /**
     * A started server. Closing it:
     *
     * <pre>
     *   close the listening channel            no new connections
     *   drain: idle connections close now;     busy ones answer with Connection: close, then close
     *   after drainTimeout, force-close the rest
     *   shutdownGracefully the loops (short quiet period), stop the offload pool
     * </pre>
     */
    record Server(Channel listener, ChannelGroup channels, HttpPipeline pipeline, EventLoopGroup acceptor, EventLoopGroup workers,
                  String details) implements RunningServer {
        /** A loop shuts down once no task arrived for this long; in-flight work was already drained. */
        private static final long QUIET_MILLIS = 50;

        @Override
        public InetSocketAddress address() {
            return (InetSocketAddress) listener.localAddress();
        }

        /** Closes as the diagram says; a second call (the loops are shutting down) does nothing. */
        @Override
        public synchronized void close() {
            if (workers.isShuttingDown()) return;
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
}
