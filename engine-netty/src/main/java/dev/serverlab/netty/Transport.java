package dev.serverlab.netty;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * How the event loops wait for sockets: Linux epoll through Netty's native library when it loads,
 * otherwise the JDK's NIO selector. Both serve the same pipeline; epoll makes fewer system calls.
 *
 * @param name    {@code epoll} or {@code nio}, as shown in the log and in {@code details()}
 * @param factory what each event loop is built on
 * @param channel the listening socket's class, which must match the loops
 * @param why     why this transport was chosen, for the log
 */
record Transport(String name, IoHandlerFactory factory, Class<? extends ServerChannel> channel, String why) {

    /** Set to {@code nio} to compare the JDK's selector with epoll on the same machine. */
    static final String PROPERTY = "serverlab.netty.transport";

    /** Epoll when the native transport is available here (and NIO was not asked for), else NIO. */
    static Transport best() {
        if ("nio".equalsIgnoreCase(System.getProperty(PROPERTY))) return nio("-D" + PROPERTY + "=nio");
        if (Epoll.isAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, "native epoll loaded");
        }
        Throwable cause = Epoll.unavailabilityCause();
        String why = "epoll unavailable: " + (cause == null ? "unknown reason" : cause.getClass().getSimpleName() + ": " + cause.getMessage());
        return nio(why);
    }

    static Transport nio(String why) {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, why);
    }
}
