package dev.serverlab.vertx;

import dev.serverlab.api.*;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;
import dev.serverlab.api.server.Listener;
import io.vertx.core.*;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

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
 */
public final class VertxEngine implements ServerEngine {

    private static final Logger log = LoggerFactory.getLogger(VertxEngine.class);
    /** Vert.x picks its logging backend from this property, once, when it first logs. */
    static final String LOGGER_PROPERTY = "vertx.logger-delegate-factory-class-name";
    static final String SLF4J_FACTORY = "io.vertx.core.logging.SLF4JLogDelegateFactory";
    /** The warm-up: a few requests of the experiment, so the first client does not wait for class loading. */
    private static final String WARM_UP = "GET / HTTP/1.1\r\nHost: w\r\n\r\nHEAD /fib/1 HTTP/1.1\r\nHost: w\r\n\r\n"
            + "GET /sleep/1 HTTP/1.1\r\nHost: w\r\n\r\nPOST / HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "2\r\nok\r\n0\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n";

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
                new EngineOption("loops", EngineOption.Kind.COUNT, "verticle instances, each on its own event loop (default: the number of cores)"),
                new EngineOption("offload", EngineOption.Kind.COUNT, "run CPU work on a worker pool of N threads instead of the event loop"));
    }

    @Override
    public RunningServer start(EngineConfig requested, Application application) throws IOException {
        // Vert.x finds SLF4J by itself, but a JUL configuration file on the class path wins; a user's setting stays.
        if (System.getProperty(LOGGER_PROPERTY) == null) System.setProperty(LOGGER_PROPERTY, SLF4J_FACTORY);
        EngineConfig config = Engines.configure(this, requested);
        int loops = config.count("loops", Runtime.getRuntime().availableProcessors());
        int offload = config.count("offload", 0);
        InetSocketAddress address = Listener.address(config);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true)
                .setDisableTCCL(true)   // one class loader: no context class loader to set around every task
                // An inline CPU step is timed and reported once (ServerSetup). Vert.x's checker would warn at
                // every check while a loop stays blocked, so it speaks only past the request deadline.
                .setMaxEventLoopExecuteTime(config.limits().requestDeadline().toMillis())
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(1).setWarningExceptionTimeUnit(TimeUnit.HOURS));
        // Vert.x logs an uncaught handler exception with its stack trace; say it in one line.
        vertx.exceptionHandler(e -> log.warn("unexpected error in a Vert.x handler: {}", e.toString()));
        ServerSetup setup = new ServerSetup(address.getAddress().getHostAddress(), application, config.limits(),
                new AccessLog(config.accessLog()), offload > 0 ? vertx.createSharedWorkerExecutor("vertx-offload", offload) : null);
        int port;
        try {
            warmUp(vertx, setup);
            // Instances share a server by port number: port 0 would give each its own, Vert.x's -1 one shared.
            int listen = config.port() == 0 ? -1 : config.port();
            List<HttpVerticle> instances = new CopyOnWriteArrayList<>();
            await(vertx.deployVerticle(() -> {
                instances.add(new HttpVerticle(setup, setup.host, listen));
                return instances.getLast();
            }, new DeploymentOptions().setInstances(loops)));
            port = instances.getFirst().actualPort();
        } catch (IOException | RuntimeException e) {
            VertxServer.closeQuietly(vertx, setup);
            if (!(e instanceof BindException) && !String.valueOf(e.getMessage()).contains("Address already in use")) throw e;
            throw new Listener.PortInUseException(config.host(), config.port(), e);
        }
        String details = "transport=" + (vertx.isNativeTransportEnabled() ? "epoll" : "nio") + " loops=" + loops
                + " offload=" + (offload == 0 ? "off" : Integer.toString(offload));
        log.info("vertx listening on {}:{} with {}", setup.host, port, details);
        return new VertxServer(vertx, setup, new InetSocketAddress(address.getAddress(), port), details);
    }

    /**
     * One instance serves {@link #WARM_UP} on a private loopback port and is undeployed again: the first
     * client does not wait while the JVM loads Vert.x's HTTP stack (~470 ms in a fresh JVM), and no client
     * is accepted before start returns, so a shutdown at any moment later drains all it accepted. Quiet:
     * neither the access log nor the warning speaks. A failure only means a slower first request.
     */
    private static void warmUp(Vertx vertx, ServerSetup setup) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        HttpVerticle verticle = new HttpVerticle(setup, loopback.getHostAddress(), 0);
        setup.quiet = true;
        try {
            String id = await(vertx.deployVerticle(verticle));
            try (Socket socket = new Socket(loopback, verticle.actualPort())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(WARM_UP.getBytes(StandardCharsets.ISO_8859_1));
                socket.getInputStream().readAllBytes();   // every answer; the last request asked for a close
            } finally {
                await(vertx.undeploy(id));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("warm-up failed; the first requests will be slower", e);
        } finally {
            setup.quiet = false;
        }
    }

    /** Waits for a Vert.x future from a plain thread. */
    private static <T> T await(Future<T> future) throws IOException {
        try {
            return future.await(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("Vert.x did not answer within 30 s", e);
        }
    }

    /**
     * A started server. close() marks it draining (answers say {@code Connection: close}), then closes Vert.x,
     * which undeploys every verticle: each one's {@code stop()} shuts its HttpServer down gracefully (no new
     * connections, idle ones closed, in-flight requests answered within the drain timeout), then the loops
     * and pools stop.
     */
    record VertxServer(Vertx vertx, ServerSetup setup, InetSocketAddress address, String details) implements RunningServer {

        @Override
        public void close() {
            if (setup.draining.compareAndSet(false, true)) closeQuietly(vertx, setup);
        }

        static void closeQuietly(Vertx vertx, ServerSetup setup) {
            try {
                vertx.close().await(setup.limits.drainTimeout().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
                log.warn("Vert.x did not close cleanly: {}", e.toString());
            }
        }
    }
}
