package dev.serverlab.vertx;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;
import dev.serverlab.api.server.Listener;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Vert.x 5: the HttpServer deployed as {@code --loops} verticle instances, one per event loop, sharing
 * one port. The reactor model with Vert.x's golden rule: never block the event loop.
 *
 * <pre>
 *   clients ─► vert.x-acceptor ─► vert.x-eventloop-thread-0 … N-1   (one HttpVerticle instance on each;
 *                                      │                              connections handed out in turn)
 *              RequestScreen (shared parser) ─► Vert.x HTTP/1.1 ─► Exchanges
 *                                                                     │
 *        /sleep/{ms}: vertx.setTimer; the loop serves others meanwhile ◄┤
 *        /fib/{n}:    inline: the loop computes and every connection on it waits; the blocked-thread
 *                     checker says so, once ◄─────────────────────────────┤
 *                     --offload N: executeBlocking(work, ordered = false) on the "vertx-offload" pool
 *                     of N threads; the result returns to the verticle's event loop ◄┘
 * </pre>
 *
 * <p>Why a named shared worker pool rather than a worker or virtual-thread verticle: the request stays
 * with its connection's verticle (its event loop writes the response), only the CPU step moves, and N
 * bounds the parallelism exactly, as {@code --offload N} does on the nio and netty engines.
 *
 * <p>Options: {@code --loops N} verticle instances and event loops (default: the number of cores),
 * {@code --offload N} worker threads for CPU work (default: none, inline).
 */
public final class VertxEngine implements ServerEngine {

    private static final Logger log = LoggerFactory.getLogger(VertxEngine.class);

    static final String LOOPS = "loops";
    static final String OFFLOAD = "offload";
    /** Vert.x picks its logging backend from this property, once, when it first logs. */
    static final String LOGGER_PROPERTY = "vertx.logger-delegate-factory-class-name";
    static final String SLF4J_FACTORY = "io.vertx.core.logging.SLF4JLogDelegateFactory";
    /** How often the blocked-thread checker looks, and how long an event loop may run one task. */
    static final Duration BLOCKED_CHECK = Duration.ofMillis(5);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String name() {
        return "vertx";
    }

    @Override
    public String description() {
        return "Vert.x 5 HttpServer verticles, one per event loop; timers for waits, CPU work inline or --offload to workers";
    }

    @Override
    public List<EngineOption> options() {
        return List.of(
                new EngineOption(LOOPS, EngineOption.Kind.COUNT, "verticle instances, each on its own event loop (default: the number of cores)"),
                new EngineOption(OFFLOAD, EngineOption.Kind.COUNT, "run CPU work on a worker pool of N threads instead of the event loop"));
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        useSlf4j();
        config = Engines.configure(this, config);
        int loops = config.count(LOOPS, Runtime.getRuntime().availableProcessors());
        int offloadThreads = config.count(OFFLOAD, 0);
        InetSocketAddress address = Listener.address(config);

        AccessLog accessLog = new AccessLog(config.accessLog());
        Screens screens = new Screens(config.limits(), accessLog);
        ServerSetup setup = new ServerSetup(address.getAddress().getHostAddress(), config.port(), application,
                config.limits(), accessLog, screens);
        Transport transport = ScreenedTransport.best();
        VertxOptions options = new VertxOptions()
                .setEventLoopPoolSize(loops)
                // A loop busy for 5 ms is already making every other connection on it wait; the report
                // is one warning (BlockedLoopWarning), never a stack trace.
                .setBlockedThreadCheckInterval(BLOCKED_CHECK.toMillis()).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(BLOCKED_CHECK.toMillis()).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(1).setWarningExceptionTimeUnit(TimeUnit.HOURS);
        Vertx vertx = Vertx.builder().with(options).withTransport(new ScreenedTransport(transport, screens)).build();
        // Vert.x logs an uncaught handler exception with its stack trace; say it in one line (trace at debug).
        vertx.exceptionHandler(e -> {
            log.warn("unexpected error in a Vert.x handler: {}", e.toString());
            log.debug("unexpected error in a Vert.x handler", e);
        });
        ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(setup.blockedLoopWarning());
        if (offloadThreads > 0) setup.offload(vertx.createSharedWorkerExecutor("vertx-offload", offloadThreads));

        List<HttpVerticle> instances = new CopyOnWriteArrayList<>();
        try {
            deploy(vertx, setup, instances, loops);
            setup.port(instances.get(0).actualPort());
        } catch (IOException | RuntimeException e) {
            VertxServer.closeQuietly(vertx, config.limits().drainTimeout());
            throw bindFailure(config, e);
        }
        int port = setup.port();
        Warmup.run(setup, address.getAddress(), port);
        String cpu = offloadThreads == 0 ? "inline on the loops" : "offloaded to " + offloadThreads + " worker threads";
        log.info("vertx listening on {}:{} with transport={}, {} verticle instances, CPU work {}",
                setup.host(), port, transport.name(), loops, cpu);
        String details = "transport=" + transport.name() + " loops=" + loops
                + " offload=" + (offloadThreads == 0 ? "off" : Integer.toString(offloadThreads));
        return new VertxServer(vertx, setup, new InetSocketAddress(address.getAddress(), port), details);
    }

    private static void deploy(Vertx vertx, ServerSetup setup, List<HttpVerticle> instances, int count) throws IOException {
        await(vertx.deployVerticle(() -> {
            HttpVerticle verticle = new HttpVerticle(setup);
            instances.add(verticle);
            return verticle;
        }, new DeploymentOptions().setInstances(count)), START_TIMEOUT);
    }

    /**
     * Vert.x logs through SLF4J when a binding is present, but a JUL configuration file on the class path
     * wins over that detection; naming the factory makes the choice explicit. A user's own setting stays.
     */
    static void useSlf4j() {
        if (System.getProperty(LOGGER_PROPERTY) == null) System.setProperty(LOGGER_PROPERTY, SLF4J_FACTORY);
    }

    /** Waits for a Vert.x future from a plain thread; failures come back as IOException or RuntimeException. */
    static <T> T await(Future<T> future, Duration timeout) throws IOException {
        try {
            return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for Vert.x", e);
        } catch (TimeoutException e) {
            throw new IOException("Vert.x did not answer within " + timeout, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) throw io;
            if (cause instanceof RuntimeException re) throw re;
            throw new IOException(String.valueOf(cause.getMessage()), cause);
        }
    }

    private static IOException bindFailure(EngineConfig config, Exception e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof BindException || message.contains("Address already in use")) {
            return new Listener.PortInUseException(config.host(), config.port(), e);
        }
        if (e instanceof IOException io) return io;
        return new IOException("cannot start vertx on " + config.host() + ":" + config.port() + ": " + message, e);
    }
}
