package dev.serverlab.netty;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * How the loops wait for sockets: Linux epoll through Netty's native library when it loads (fewer system
 * calls), else the JDK's NIO selector; {@code -Dserverlab.netty.transport=nio} asks for NIO.
 *
 * @param name {@code epoll} or {@code nio}; @param channel the listening socket's class, matching the loops;
 * @param why why this transport was chosen, for the log
 */
record Transport(String name, IoHandlerFactory factory, Class<? extends ServerChannel> channel, String why) {

    static Transport best() {
        if ("nio".equalsIgnoreCase(System.getProperty("serverlab.netty.transport"))) return nio("-Dserverlab.netty.transport=nio");
        if (Epoll.isAvailable()) return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, "native epoll loaded");
        return nio("epoll unavailable: " + Epoll.unavailabilityCause());
    }

    static Transport nio(String why) {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, why);
    }
}
