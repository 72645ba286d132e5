package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.http.Timing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;

/**
 * The deadlines of one connection that Vert.x does not keep: its idle timeout counts only socket activity
 * (it would cut a long {@code /sleep}), and it has no header deadline. One timer, re-armed lazily (a
 * request does not touch it), closes the connection when nothing arrived for {@code headerReadTimeout}
 * after accept or {@code idleTimeout} after the last answer, or when a body paused for {@code idleTimeout}.
 * A request being served is never cut: its work has the request deadline. Event-loop confined.
 */
final class ConnectionWatch {

    /** When the connection was accepted, in epoch microseconds: the X-Accepted-At of its requests. */
    final long acceptedMicros = Timing.nowMicros();
    private final Vertx vertx;
    private final HttpConnection connection;
    private final long idleNanos;
    private int inFlight;
    private boolean readingBody;
    private boolean closed;
    /** When the connection closes if nothing is in flight by then. */
    private long idleDeadline;
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

    void answered() {
        readingBody = false;
        if (--inFlight == 0) idleDeadline = System.nanoTime() + idleNanos;
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
        long left = readingBody ? lastRead + idleNanos - now : inFlight == 0 ? idleDeadline - now : idleNanos;
        if (left <= 0) connection.close();
        else arm(left);
    }
}
