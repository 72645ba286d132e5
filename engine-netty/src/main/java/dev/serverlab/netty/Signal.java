package dev.serverlab.netty;

/** User events sent down a connection's pipeline. */
enum Signal {
    /** The server is shutting down: finish what is in flight, then close. */
    DRAIN
}
