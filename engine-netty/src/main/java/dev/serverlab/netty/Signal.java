package dev.serverlab.netty;

/**
 * User events the pipeline's handlers send towards {@link ExchangeHandler}, which keeps the
 * connection's phase and its deadlines.
 */
enum Signal {
    /** Bytes arrived from the client (fired before they are decoded). */
    BYTES,
    /** A request's headers were accepted and its body follows. */
    BODY_FOLLOWS,
    /** The server is shutting down: finish what is in flight, then close. */
    DRAIN
}
