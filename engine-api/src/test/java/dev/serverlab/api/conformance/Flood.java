package dev.serverlab.api.conformance;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client thread that writes the same bytes to a socket over and over, and never reads: until a write
 * fails (the server closed the connection), or {@code cap} bytes have gone out (the server kept reading
 * far past any limit), or it is stopped. A server that bounds what it buffers makes the writes block,
 * then closes the connection: the flood ends with a failed write and a modest byte count.
 */
final class Flood implements AutoCloseable {

    private final Socket socket;
    private final byte[] pattern;
    private final long cap;
    private final AtomicLong written = new AtomicLong();
    private final Thread thread;
    private volatile IOException failure;

    private Flood(Socket socket, byte[] pattern, long cap) {
        this.socket = socket;
        this.pattern = pattern;
        this.cap = cap;
        this.thread = Thread.ofPlatform().daemon().name("kit-flood").unstarted(this::pour);
    }

    /** Starts writing {@code pattern} (repeated into 64 KiB writes) to {@code socket}. */
    static Flood start(Socket socket, byte[] pattern, long cap) {
        byte[] block = new byte[Math.max(pattern.length, 64 * 1024 / pattern.length * pattern.length)];
        for (int i = 0; i < block.length; i += pattern.length) System.arraycopy(pattern, 0, block, i, pattern.length);
        Flood flood = new Flood(socket, block, cap);
        flood.thread.start();
        return flood;
    }

    private void pour() {
        try {
            OutputStream out = socket.getOutputStream();
            while (written.get() < cap) {
                out.write(pattern);
                written.addAndGet(pattern.length);
            }
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Waits for the flood to end; true if it did within {@code timeout}. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }

    /** Bytes written so far. */
    long written() {
        return written.get();
    }

    /** True when the flood ended because a write failed: the server closed or reset the connection. */
    boolean cutOffByServer() {
        return failure != null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            if (!thread.join(Duration.ofSeconds(10))) throw new IOException("the flood thread did not stop");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static long mebibytes(long n) {
        return n * 1024 * 1024;
    }
}
