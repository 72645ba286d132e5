package dev.serverlab.api.http;

/**
 * What the timing headers of one response say: {@link Timing} holds the values; an engine's own record of
 * the request may hand them to {@link ResponseWriter} directly, so answering allocates no {@code Timing}.
 */
public interface Timed {

    /** When the connection was accepted, in epoch microseconds. */
    long acceptedMicros();

    /** When the server started working on the request. */
    long startedMicros();

    /** When the work was done and the response ready. */
    long finishedMicros();

    /** {@code pid/thread} of the worker that did the work. */
    String servedBy();
}
