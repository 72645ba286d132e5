package dev.serverlab.api.server;

import dev.serverlab.api.app.Request;
import dev.serverlab.api.http.Timing;

import java.time.Duration;

/**
 * One request's life on the server: when its connection was accepted, when work on it started, and
 * which worker did the work. Every engine keeps one per request and sends it back as {@link Timing}.
 *
 * <p>"Started" is the moment the server first runs the request's work: the CPU step, the start of the
 * wait, or the answer itself. Time spent queued before that (in a backlog, a pool queue, or behind other
 * work on an event loop) is waiting, not service: that is the split the lab's timelines draw. The
 * request deadline ({@link dev.serverlab.api.Limits#requestDeadline()}) counts from the same moment.
 */
public final class Exchange {

    private final Request request;
    private final long acceptedMicros;
    private long startedMicros;
    private long startedNanos;
    private String servedBy;

    public Exchange(Request request, long acceptedMicros) {
        this.request = request;
        this.acceptedMicros = acceptedMicros;
    }

    public Request request() {
        return request;
    }

    /** Call on the thread that is about to do this request's work; the first call fixes the start time. */
    public void markStarted() {
        if (startedMicros == 0) {
            startedMicros = Timing.nowMicros();
            startedNanos = System.nanoTime();
        }
        servedBy = Timing.currentWorker();
    }

    /**
     * How much of {@code deadline} is left, counted from the first {@link #markStarted()}; the whole
     * deadline before that. Zero or negative once it has passed.
     */
    public long nanosLeft(Duration deadline) {
        if (startedMicros == 0) return deadline.toNanos();
        return deadline.toNanos() - (System.nanoTime() - startedNanos);
    }

    /**
     * Call when the response is ready, on the thread that made it. A request answered at once, without a
     * step that called {@link #markStarted()}, started and finished at this moment: one reading of the
     * clock serves both.
     */
    public Timing finish() {
        long now = Timing.nowMicros();
        if (startedMicros == 0) {
            startedMicros = now;
            servedBy = Timing.currentWorker();
        }
        return new Timing(acceptedMicros, startedMicros, now, servedBy);
    }
}
