package dev.serverlab.api.server;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;

/** Opens listening sockets the same way for every hand-written engine, with errors a person can act on. */
public final class Listener {

    private static final Logger log = LoggerFactory.getLogger(Listener.class);

    /** Accepted connections the kernel may queue before the engine takes them (capped by somaxconn). */
    public static final int BACKLOG = 4096;

    private Listener() {
    }

    /** The blocking server socket {@code config} asks for ({@link EngineConfig#listen()}), for the thread engines. */
    public static ServerSocket serverSocket(EngineConfig config) throws IOException {
        return switch (config.listen()) {
            case BIND -> serverSocket(config, false);
            case REUSE_PORT -> serverSocket(config, true);
            case INHERITED -> inherited().socket();
        };
    }

    /**
     * The listening socket this process was started with as its standard input, in blocking mode: how a
     * parent shares one accept queue with its child processes.
     */
    public static ServerSocketChannel inherited() throws IOException {
        if (!(System.inheritedChannel() instanceof ServerSocketChannel channel)) {
            throw new ConfigException("this process was not started with a listening socket as its standard input");
        }
        channel.configureBlocking(true);
        return channel;
    }

    /** A bound blocking server socket, for the thread engines. */
    public static ServerSocket serverSocket(EngineConfig config, boolean reusePort) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            if (reusePort) {
                if (!socket.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    throw new ConfigException("this platform does not support SO_REUSEPORT, which prefork needs to share a port");
                }
                socket.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            socket.bind(address(config), BACKLOG);
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw explain(config, e);
        }
    }

    /** A bound non-blocking server channel, for selector loops. */
    public static ServerSocketChannel channel(EngineConfig config, boolean reusePort) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reusePort) {
                if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    throw new ConfigException("this platform does not support SO_REUSEPORT");
                }
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.bind(address(config), BACKLOG);
            channel.configureBlocking(false);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw explain(config, e);
        }
    }

    /** The address to bind, with a warning when it is not loopback. */
    public static InetSocketAddress address(EngineConfig config) {
        if (!config.isLoopback()) {
            log.warn("listening on {}, which is not a loopback address: other machines can reach this server", config.host());
        }
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        if (address.isUnresolved()) throw new ConfigException("cannot resolve host '" + config.host() + "'");
        return address;
    }

    private static IOException explain(EngineConfig config, Exception e) throws IOException {
        if (e instanceof RuntimeException re) throw re;
        if (e instanceof BindException) {
            return new PortInUseException(config.host(), config.port(), e);
        }
        return (IOException) e;
    }

    /** The port is taken (or the address is not this machine's). */
    public static final class PortInUseException extends BindException {
        public PortInUseException(String host, int port, Exception cause) {
            super("cannot listen on " + host + ":" + port + " (" + cause.getMessage()
                    + "); is another server running there? Choose another port with --port, or --port 0 for any free one");
            initCause(cause);
        }
    }
}
