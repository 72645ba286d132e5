package dev.serverlab.prefork;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.server.Listener;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;

/**
 * The {@code --reuseport} fallback: each worker binds its own SO_REUSEPORT socket on the port, and the
 * parent holds the port with a TCP socket bound with SO_REUSEPORT that never listens.
 *
 * <p>Why bound: with port 0 the parent must choose one port for every worker, and binding is how to
 * learn a free one. Keeping it bound for the server's life keeps the port out of the kernel's pool of
 * ephemeral ports, so no outgoing connection takes it while a dead worker is being replaced; workers
 * bind beside it because they set SO_REUSEPORT too, as the same user. It also sets SO_REUSEADDR, as every
 * server does, so that connections of an earlier server still in TIME_WAIT do not block the port. (An
 * ordinary server could then bind beside it too, but never listen beside the workers: they would fail to
 * bind, and the error says the port is in use.)
 *
 * <p>Why never listening: only listening sockets join the kernel's SO_REUSEPORT group. A listening
 * socket in the parent would receive its share of the connections and never accept them.
 */
record PortReservation(Socket socket, InetSocketAddress address) implements WorkerListener {

    /**
     * Reserves {@code config}'s port (a free one for port 0). A fixed port on which a server already
     * listens is refused, even one that would let us share it: two servers on one port is never meant.
     */
    static PortReservation reserve(EngineConfig config) throws IOException {
        InetSocketAddress wanted = Listener.address(config);
        Socket socket = new Socket();
        try {
            if (!socket.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                throw new ConfigException("this platform does not support SO_REUSEPORT, which prefork needs for its workers to share a port");
            }
            socket.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            socket.setReuseAddress(true);
            try {
                socket.bind(wanted);
            } catch (BindException e) {
                throw new Listener.PortInUseException(config.host(), config.port(), e);
            }
            if (config.port() != 0 && someoneListens(wanted)) {
                throw new Listener.PortInUseException(config.host(), config.port(),
                        new BindException("a server is already listening there"));
            }
            return new PortReservation(socket, new InetSocketAddress(wanted.getAddress(), socket.getLocalPort()));
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** A server listening with SO_REUSEPORT (another prefork server, say) lets us bind beside it: ask the port. */
    private static boolean someoneListens(InetSocketAddress address) {
        InetAddress target = address.getAddress().isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : address.getAddress();
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress(target, address.getPort()), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public EngineConfig.Listen workerListen() {
        return EngineConfig.Listen.REUSE_PORT;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to release then
        }
    }
}
