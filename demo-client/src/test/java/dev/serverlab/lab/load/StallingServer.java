package dev.serverlab.lab.load;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted HTTP/1.1 server on loopback: it answers every keep-alive request at once, except request
 * number {@code stallAt} (counted from 0 over the whole run), which it holds for {@code stall} first.
 * One connection at a time, on one platform thread: nothing else decides when an answer leaves.
 */
final class StallingServer implements AutoCloseable {

    private static final byte[] ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n".getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket listener;
    private final Thread thread;
    private final int stallAt;
    private final Duration stall;
    private final List<Long> receivedAt = new CopyOnWriteArrayList<>();
    private final List<Long> answeredAt = new CopyOnWriteArrayList<>();

    StallingServer(int stallAt, Duration stall) throws IOException {
        this.stallAt = stallAt;
        this.stall = stall;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.thread = Thread.ofPlatform().name("stalling-server").daemon().start(this::serve);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** System.nanoTime() when each request had been read whole, in request order. */
    List<Long> receivedAt() {
        return List.copyOf(receivedAt);
    }

    /** System.nanoTime() when each answer was written, in request order. */
    List<Long> answeredAt() {
        return List.copyOf(answeredAt);
    }

    private void serve() {
        int served = 0;
        while (!listener.isClosed()) {
            try (Socket s = listener.accept()) {
                s.setTcpNoDelay(true);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (readRequest(in)) {
                    receivedAt.add(System.nanoTime());
                    if (served++ == stallAt) Thread.sleep(stall);
                    answeredAt.add(System.nanoTime());
                    out.write(ANSWER);
                    out.flush();
                }
            } catch (IOException e) {
                // the client closed, or close() closed the listener
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Reads up to the blank line that ends a request without a body; false at the end of the stream. */
    private static boolean readRequest(InputStream in) throws IOException {
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) return true;
        }
        return false;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        listener.close();
        thread.interrupt();
        thread.join(5000);
    }
}
