package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Where the workers take their connections from, held by the parent for the server's life.
 *
 * <p>{@link SharedSockets shared}: one listening socket, one accept queue; each worker inherits it as
 * its standard input. {@link PortReservation reuseport}: each worker binds its own socket on the port,
 * and the kernel hashes each new connection to one of them.
 */
interface WorkerListener extends AutoCloseable {

    InetSocketAddress address();

    /** How a worker's blocking engine gets its socket: {@code INHERITED} or {@code REUSE_PORT}. */
    EngineConfig.Listen workerListen();

    /** Starts a worker process, handing it the socket where that is how it gets one. */
    Process spawn(ProcessBuilder worker) throws IOException;

    /** A word for {@code details()}: {@code shared} or {@code reuseport}. */
    String mode();

    @Override
    void close();
}
