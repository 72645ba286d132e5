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
 * Vert.x 5, written the way its documentation writes a server: {@code --loops N} instances of
 * {@link HttpVerticle} (a {@code VerticleBase}, deployed with {@code DeploymentOptions.setInstances}), each
 * an HttpServer on its own event loop, sharing one port. The model lives in {@link HttpVerticle}.
 *
 * <pre>
 *   start: Vert.x (N event loops, epoll when it loads) ─► warm-up on a private loopback port ─► N verticles
 *          listen on the user's port ─► start returns; nothing was accepted on that port before
 *   close: draining ─► vertx.close(): each verticle's HttpServer.shutdown(drainTimeout) ─► loops, pools stop
 * </pre>
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
        VertxOptions options = new VertxOptions()
                .setEventLoopPoolSize(loops)
                .setPreferNativeTransport(true)
                // An inline CPU step is timed and reported once by BlockedLoopWarning. Vert.x's checker would
                // warn at every check while a loop stays blocked, so it speaks only past the request deadline.
                .setMaxEventLoopExecuteTime(config.limits().requestDeadline().toMillis())
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(1).setWarningExceptionTimeUnit(TimeUnit.HOURS);
        Vertx vertx = Vertx.vertx(options);
        // Vert.x logs an uncaught handler exception with its stack trace; say it in one line (trace at debug).
        vertx.exceptionHandler(e -> {
            log.warn("unexpected error in a Vert.x handler: {}", e.toString());
            log.debug("unexpected error in a Vert.x handler", e);
        });
        ServerSetup setup = new ServerSetup(address.getAddress().getHostAddress(), application, config.limits(),
                new AccessLog(config.accessLog()), offloadThreads > 0 ? vertx.createSharedWorkerExecutor("vertx-offload", offloadThreads) : null);
        int port;
        try {
            Warmup.run(vertx, setup);
            port = deploy(vertx, setup, config.port(), loops);
        } catch (IOException | RuntimeException e) {
            VertxServer.closeQuietly(vertx, config.limits().drainTimeout());
            throw bindFailure(config, e);
        }
        String transport = vertx.isNativeTransportEnabled() ? "epoll" : "nio";
        String cpu = offloadThreads == 0 ? "inline on the loops" : "offloaded to " + offloadThreads + " worker threads";
        log.info("vertx listening on {}:{} with transport={}, {} verticle instances, CPU work {}",
                setup.host, port, transport, loops, cpu);
        String details = "transport=" + transport + " loops=" + loops
                + " offload=" + (offloadThreads == 0 ? "off" : Integer.toString(offloadThreads));
        return new VertxServer(vertx, setup, new InetSocketAddress(address.getAddress(), port), details);
    }

    /**
     * Deploys the instances and returns the port they share. Instances share a server by its port number, so
     * port 0 would give each its own; Vert.x's -1 means one ephemeral port shared by every instance.
     */
    private static int deploy(Vertx vertx, ServerSetup setup, int port, int count) throws IOException {
        List<HttpVerticle> instances = new CopyOnWriteArrayList<>();
        await(vertx.deployVerticle(() -> {
            HttpVerticle verticle = new HttpVerticle(setup, setup.host, port == 0 ? -1 : port);
            instances.add(verticle);
            return verticle;
        }, new DeploymentOptions().setInstances(count)), START_TIMEOUT);
        return instances.get(0).actualPort();
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
