package dev.serverlab.api.server;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** How a connection ends when it is cut off: who gets interrupted, and who does not. */
class BlockingConnectionTest {

    /** Shutdown's forced close wakes a thread sleeping in a request, and leaves it interrupted so a pool thread stops. */
    @Test
    void aForcedCloseWakesASleepingRequestAndTheInterruptStays() throws Exception {
        CountDownLatch sleeping = new CountDownLatch(1);
        Application app = request -> {
            sleeping.countDown();
            return Application.experiment().handle(request);
        };
        try (ServerSocket listener = listener(); Socket client = connect(listener)) {
            Connections connections = new Connections();
            AtomicBoolean interruptedAfter = new AtomicBoolean();
            Thread thread = serveOn(listener, app, Limits.DEFAULTS, connections, interruptedAfter);
            send(client, "GET /sleep/20000 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(sleeping.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(connections.drain(Duration.ofMillis(100))).as("connections forced closed").isEqualTo(1);
            assertThat(thread.join(Duration.ofSeconds(5))).as("the sleeping thread let go").isTrue();
            assertThat(interruptedAfter).as("the interrupt is left for the engine's thread to see").isTrue();
        }
    }

    /** The write watchdog cuts off a client that does not read, without interrupting the thread: it serves on. */
    @Test
    void theSocketWatchdogClosesWithoutInterrupting() throws Exception {
        Limits limits = Limits.DEFAULTS.withIdleTimeout(Duration.ofMillis(500));
        try (ServerSocket listener = listener(); Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(listener.getLocalSocketAddress(), 5000);
            AtomicBoolean interruptedAfter = new AtomicBoolean(true);
            Thread thread = serveOn(listener, Application.experiment(), limits, new Connections(), interruptedAfter);
            // Large echoed bodies, never read: the server's write blocks once the buffers are full.
            String body = "x".repeat(64 * 1024);
            String request = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
            Thread writer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (int i = 0; i < 1000; i++) send(client, request);
                } catch (IOException cutOff) {
                    // the server closed the connection
                }
            });
            assertThat(thread.join(Duration.ofSeconds(20))).as("the blocked write was ended").isTrue();
            assertThat(interruptedAfter).as("no interrupt left behind").isFalse();
            client.close();
            writer.join(10_000);
        }
    }

    private static ServerSocket listener() throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return listener;
    }

    private static Socket connect(ServerSocket listener) throws IOException {
        Socket client = new Socket();
        client.connect(listener.getLocalSocketAddress(), 5000);
        return client;
    }

    /** Accepts one connection and serves it on a new thread; records whether the thread ended interrupted. */
    private static Thread serveOn(ServerSocket listener, Application app, Limits limits, Connections connections,
                                  AtomicBoolean interruptedAfter) {
        return Thread.ofPlatform().name("test-connection").start(() -> {
            try {
                Socket socket = listener.accept();
                new BlockingConnection(socket, Timing.nowMicros(), app, CpuRunner.INLINE, limits, connections, new AccessLog(false)).run();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
    }

    private static void send(Socket client, String text) throws IOException {
        OutputStream out = client.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
