package dev.serverlab.vertx;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Before the server listens on the user's port, one instance serves a few requests of the experiment on a
 * private loopback port and is undeployed again, so the first client does not wait while the JVM loads
 * Vert.x's HTTP stack and the application (without it the first requests of a fresh JVM started ~470 ms
 * late). Nobody else can reach that port, and no client is accepted before {@code start} returns, so a
 * shutdown at any moment afterwards drains everything accepted. The access log and the warning are quiet.
 */
final class Warmup {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String REQUESTS = "GET / HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "HEAD /fib/1 HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "GET /sleep/1 HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "POST / HTTP/1.1\r\nHost: warmup\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            + "GET /nowhere HTTP/1.1\r\nHost: warmup\r\nConnection: close\r\n\r\n";

    private Warmup() {
    }

    /** Never fails: a warm-up that goes wrong only means a slower first request, so it is logged at debug. */
    static void run(Vertx vertx, ServerSetup setup) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        HttpVerticle verticle = new HttpVerticle(setup, loopback.getHostAddress(), 0);
        setup.quiet(true);
        try {
            String id = VertxEngine.await(vertx.deployVerticle(verticle, new DeploymentOptions()), TIMEOUT);
            try {
                exchange(loopback, verticle.actualPort(), REQUESTS);
                exchange(loopback, verticle.actualPort(), "BAD\r\n\r\n");
            } finally {
                VertxEngine.await(vertx.undeploy(id), TIMEOUT);
            }
        } catch (IOException | RuntimeException e) {
            log.debug("warm-up failed; the first requests will be slower", e);
        } finally {
            setup.quiet(false);
        }
    }

    /** Sends {@code requests} and reads until the server closes the connection. */
    private static void exchange(InetAddress host, int port, String requests) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) TIMEOUT.toMillis());
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            byte[] discard = new byte[4096];
            while (in.read(discard) >= 0) {
                // read every answer; the last request asked the server to close
            }
        }
    }
}
