package dev.serverlab.nio;

import dev.serverlab.api.Limits;
import dev.serverlab.api.http.RequestParser;
import dev.serverlab.api.server.Exchange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/**
 * One client connection as its {@link EventLoop} sees it: its state, its parser, the bytes read but not yet
 * parsed, and the bytes queued but not yet written. Only the loop that owns it touches it, so nothing here is
 * synchronized. The transitions are the loop's; this class only keeps the buffers honest.
 */
final class Connection {

    /** See the diagram on {@link EventLoop}. */
    enum State { READING, DISPATCHED, WRITING, LINGERING, CLOSED }

    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0).asReadOnlyBuffer();
    private static final int WRITE_CHUNK = 256 * 1024;

    final SocketChannel channel;
    /** When the connection was accepted, in epoch micros: the {@code X-Accepted-At} of each of its requests. */
    final long acceptedMicros;
    final RequestParser parser;
    SelectionKey key;

    State state = State.READING;
    /** The request the application is working on, or null. Late results for another exchange are dropped. */
    Exchange exchange;
    /** Close once the queued output is written: the response said {@code Connection: close}, or a refusal. */
    boolean closing;
    /** The client half-closed: nothing more will arrive. */
    boolean inputEnded;
    /** {@link System#nanoTime()} of the last read or write that moved bytes: the idle timeout counts from it. */
    long lastActive;
    /** {@link System#nanoTime()} when the current request's first bytes arrived; 0 between requests. */
    long headersSince;
    /** {@link System#nanoTime()} by which dispatched work must be done; 0 until its first wait begins. */
    long deadlineAt;
    /** Bytes read and thrown away while lingering; bounded so a client cannot keep us reading. */
    long discarded;

    /** Pipelined bytes read but not yet parsed: they wait while a request is dispatched or output backs up. */
    private ByteBuffer unparsed;
    private final ArrayDeque<ByteBuffer> output = new ArrayDeque<>();
    private long pendingBytes;

    Connection(SocketChannel channel, long acceptedMicros, Limits limits) {
        this.channel = channel;
        this.acceptedMicros = acceptedMicros;
        this.parser = new RequestParser(limits);
    }

    /** Queues bytes to write after everything queued before them: responses leave in request order. */
    void queue(ByteBuffer bytes) {
        output.add(bytes);
        pendingBytes += bytes.remaining();
    }

    long pendingBytes() {
        return pendingBytes;
    }

    /** Writes as much queued output as the socket takes now. A partial write leaves the rest queued. */
    void flush() throws IOException {
        ByteBuffer head;
        while ((head = output.peek()) != null) {
            // A chunk at a time: the JDK copies a heap buffer into a temporary direct one before writing,
            // and copying all of a large response again for every partial write would be quadratic.
            int limit = head.limit();
            head.limit(Math.min(limit, head.position() + WRITE_CHUNK));
            int wanted = head.remaining();
            int n;
            try {
                n = channel.write(head);
            } finally {
                head.limit(limit);
            }
            if (n > 0) {
                pendingBytes -= n;
                lastActive = System.nanoTime();
            }
            if (n < wanted) return; // the socket's send buffer is full: wait for OP_WRITE
            if (!head.hasRemaining()) output.poll();
        }
    }

    /** The bytes to parse next: the pipelined leftovers, or nothing (then the loop reads more). */
    ByteBuffer unparsed() {
        return unparsed != null ? unparsed : NOTHING;
    }

    /**
     * Keeps what {@code in} still holds for later. When {@code in} is the loop's shared read buffer, the
     * leftovers are copied out, since the next read on the loop reuses that buffer for another connection.
     */
    void keepUnparsed(ByteBuffer in) {
        if (!in.hasRemaining() || state == State.LINGERING || state == State.CLOSED) {
            unparsed = null;
        } else if (in != unparsed) {
            unparsed = ByteBuffer.allocate(in.remaining()).put(in).flip();
        }
    }

    /** Between requests with nothing to write: closing it now loses nothing. */
    boolean idle() {
        return state == State.READING && !parser.inProgress() && pendingBytes == 0;
    }

    /** Reads only in READING (and LINGERING, to discard); writes whenever output is pending. */
    void updateInterest() {
        if (state == State.CLOSED) return;
        int ops = state == State.READING || state == State.LINGERING ? SelectionKey.OP_READ : 0;
        if (pendingBytes > 0 && state != State.LINGERING) ops |= SelectionKey.OP_WRITE;
        if (key.interestOps() != ops) key.interestOps(ops);
    }

    void close() {
        state = State.CLOSED;
        exchange = null;
        unparsed = null;
        output.clear();
        pendingBytes = 0;
        if (key != null) key.cancel();
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing is best effort: the socket is gone either way.
        }
    }
}
