package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.http.Timing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;

/**
 * The deadlines of one connection, which Vert.x does not keep for us: Vert.x's idle timeout counts only
 * socket activity, so it would cut a long {@code /sleep} short, and it has no header-read deadline. One
 * timer per connection, re-armed lazily (a request does not touch it), closes the connection when
 *
 * <pre>
 *   nothing arrived for headerReadTimeout after accept, or for idleTimeout after the last answer
 *   a body paused for idleTimeout
 * </pre>
 *
 * <p>A request being served is never cut: its work has the request deadline. A connection whose answers
 * are stuck (a client that never reads) is for Vert.x's idle timeout to cut, since our close waits for
 * pending writes. Event-loop confined.
 */
final class ConnectionWatch {

    final HttpConnection connection;
    /** When the connection was accepted, in epoch microseconds: the X-Accepted-At of its requests. */
    final long acceptedMicros = Timing.nowMicros();
    private final Vertx vertx;
    private final long idleNanos;
    private int inFlight;
    private int writing;
    private boolean readingBody;
    private boolean closed;
    /** When an idle connection closes; meaningful while nothing is in flight. */
    private long idleDeadline;
    /** The last sign of life of a body being read. */
    private long lastRead;

    ConnectionWatch(Vertx vertx, HttpConnection connection, Limits limits) {
        this.vertx = vertx;
        this.connection = connection;
        this.idleNanos = limits.idleTimeout().toNanos();
        this.idleDeadline = System.nanoTime() + limits.headerReadTimeout().toNanos();
        arm(limits.headerReadTimeout().toNanos());
    }

    void requestBegan() {
        inFlight++;
        readingBody = true;
        lastRead = System.nanoTime();
    }

    void bodyProgress() {
        lastRead = System.nanoTime();
    }

    void bodyEnded() {
        readingBody = false;
    }

    /** The answer was handed to Vert.x; {@link #written()} follows once it is in the socket. */
    void answered() {
        inFlight--;
        readingBody = false;
        writing++;
    }

    void written() {
        writing--;
        if (inFlight == 0 && writing == 0) idleDeadline = System.nanoTime() + idleNanos;
    }

    void closed() {
        closed = true;
    }

    private void arm(long nanos) {
        vertx.setTimer(Math.max(1, (nanos + 999_999) / 1_000_000), id -> check());
    }

    private void check() {
        if (closed) return;
        long now = System.nanoTime();
        long next;
        if (readingBody) {
            next = lastRead + idleNanos - now;
        } else if (inFlight == 0 && writing == 0) {
            next = idleDeadline - now;
        } else {
            next = idleNanos;   // being served (its work has the request deadline), or its answer being written
        }
        if (next <= 0) connection.close();
        else arm(next);
    }
}
