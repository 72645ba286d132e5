package dev.serverlab.vertx;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Sends the new server a few requests of the experiment over loopback before it takes clients, so that
 * the first client does not wait while the JVM loads Vert.x's HTTP stack, the screen and the application:
 * the lab's timelines should show the model, not a cold start. The access log is quiet meanwhile.
 */
final class Warmup {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    private static final int TIMEOUT_MILLIS = 10_000;
    private static final String REQUESTS = "GET / HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "HEAD /fib/1 HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "GET /sleep/1 HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "POST / HTTP/1.1\r\nHost: warmup\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            + "GET /nowhere HTTP/1.1\r\nHost: warmup\r\nConnection: close\r\n\r\n";

    private Warmup() {
    }

    /** Never fails: a warm-up that goes wrong only means a slower first request, so it is logged at debug. */
    static void run(ServerSetup setup, InetAddress host, int port) {
        InetAddress target = host.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : host;
        setup.quiet(true);
        try {
            exchange(target, port, REQUESTS);
            exchange(target, port, "BAD\r\n\r\n");
            awaitClosed(setup.screens());
        } catch (IOException | RuntimeException e) {
            log.debug("warm-up failed; the first requests will be slower", e);
        } finally {
            setup.quiet(false);
        }
    }

    /** The warm-up's connections must not count against maxConnections once clients come. */
    private static void awaitClosed(Screens screens) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (screens.openConnections() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Sends {@code requests} and reads until the server closes the connection. */
    private static void exchange(InetAddress host, int port, String requests) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            byte[] discard = new byte[4096];
            while (in.read(discard) >= 0) {
                // read every answer; the last request asked the server to close
            }
        }
    }
}
