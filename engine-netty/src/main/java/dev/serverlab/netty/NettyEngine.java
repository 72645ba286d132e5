package dev.serverlab.netty;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;
import dev.serverlab.api.server.Listener;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Netty's event loops: the model of nginx and Node, on the library most Java servers are built on.
 *
 * <pre>
 *   clients ─► netty-accept ─► netty-loop-1 … netty-loop-N   (one thread each, epoll or NIO;
 *              (accepts, stamps      │                          each connection lives on one loop)
 *               the time)            ▼
 *                      RequestScreen ─ HttpServerCodec ─ RequestGuard ─ HttpObjectAggregator ─ ExchangeHandler
 *                                                                                                   │
 *        /sleep/{ms}:  a timer on the loop (schedule); the loop serves others meanwhile ◄──────────┤
 *        /fib/{n}:     inline ─ the loop computes, and every connection on it waits ◄──────────────┤
 *                      --offload N ─ netty-offload-1 … N compute; the result is a task on the loop ◄┘
 * </pre>
 *
 * Ten clients asking for a 1 s sleep finish together in about 1 s, on any number of loops. Ten asking for
 * CPU work on one loop are served one after another, as on the serial server; with {@code --offload 2}
 * two computations run at once while the loop goes on accepting and answering.
 *
 * <p>Options: {@code --loops N} event-loop threads (default: the number of cores), {@code --offload N}
 * threads for CPU work (default: none, inline). {@code -Dserverlab.netty.transport=nio} picks the JDK's
 * selector over epoll.
 */
public final class NettyEngine implements ServerEngine {

    private static final Logger log = LoggerFactory.getLogger(NettyEngine.class);

    static final String LOOPS = "loops";
    static final String OFFLOAD = "offload";

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
        return List.of(
                new EngineOption(LOOPS, EngineOption.Kind.COUNT, "event-loop threads (default: the number of cores)"),
                new EngineOption(OFFLOAD, EngineOption.Kind.COUNT, "run CPU work on a pool of N threads instead of the event loop"));
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        int loops = config.count(LOOPS, Runtime.getRuntime().availableProcessors());
        int offloadThreads = config.count(OFFLOAD, 0);
        InetSocketAddress address = Listener.address(config);
        Transport transport = transports.get();
        Warmup.run(config.limits());

        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, threads("netty-accept", false), transport.factory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(loops, threads("netty-loop", false), transport.factory());
        // Pool threads are daemons: CPU work cannot be interrupted, and must not keep the JVM alive after close.
        ExecutorService offload = offloadThreads == 0 ? null
                : Executors.newFixedThreadPool(offloadThreads, threads("netty-offload", true));
        ServerContext context = new ServerContext(application, config.limits(), new AccessLog(config.accessLog()), offload);
        ChannelGroup channels = new DefaultChannelGroup("serverlab-netty", GlobalEventExecutor.INSTANCE);

        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(transport.channel())
                .option(ChannelOption.SO_BACKLOG, Listener.BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(new AcceptGate(config.limits().maxConnections(), channels, context.accessLog()))
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new HttpPipeline(context));
        Channel listener;
        try {
            listener = bootstrap.bind(address).sync().channel();
        } catch (Exception e) {
            NettyServer.release(acceptor, workers, offload, config.limits().drainTimeout());
            throw bindFailure(config, e);
        } catch (Error e) {
            NettyServer.release(acceptor, workers, offload, config.limits().drainTimeout());
            throw e;
        }
        String cpu = offload == null ? "inline on the loops" : "offloaded to " + offloadThreads + " threads";
        log.info("netty listening on {} with transport={} ({}), {} loops, CPU work {}",
                listener.localAddress(), transport.name(), transport.why(), loops, cpu);
        String details = "transport=" + transport.name() + " loops=" + loops
                + " offload=" + (offload == null ? "off" : Integer.toString(offloadThreads));
        return new NettyServer(listener, channels, context, acceptor, workers, details);
    }

    /** Netty reports a taken port with its own exception types; say it the way every engine does. */
    private static IOException bindFailure(EngineConfig config, Exception e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof BindException || message.contains("Address already in use") || message.contains("Cannot assign requested address")) {
            return new Listener.PortInUseException(config.host(), config.port(), e);
        }
        return e instanceof IOException io ? io : new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + message, e);
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
}
