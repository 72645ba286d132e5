package dev.serverlab.vertx;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;

import java.net.SocketAddress;
import java.util.concurrent.ThreadFactory;

/**
 * Vert.x's own transport (epoll when it loads, else NIO) with one addition: every server it binds gets a
 * handler on its listening channel, which puts a {@link RequestScreen} first in each accepted connection's
 * pipeline. The transport SPI is the one public place where Vert.x lets us touch its server bootstrap.
 */
final class ScreenedTransport implements Transport {

    private final Transport base;
    private final ChannelHandler acceptHandler;

    /** @param acceptHandler added to each listening channel's pipeline; it sees every accepted connection */
    ScreenedTransport(Transport base, ChannelHandler acceptHandler) {
        this.base = base;
        this.acceptHandler = acceptHandler;
    }

    /** The native transport when it is available here, else NIO. */
    static Transport best() {
        Transport nativeTransport = Transport.nativeTransport();
        return nativeTransport != null && nativeTransport.available() ? nativeTransport : Transport.NIO;
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public boolean available() {
        return base.available();
    }

    @Override
    public Throwable unavailabilityCause() {
        return base.unavailabilityCause();
    }

    @Override
    public io.vertx.core.spi.transport.Transport implementation() {
        return new Spi(base.implementation(), acceptHandler);
    }

    /** Delegates everything to Vert.x's implementation, and adds the accept handler to server bootstraps. */
    private record Spi(io.vertx.core.spi.transport.Transport delegate, ChannelHandler acceptHandler)
            implements io.vertx.core.spi.transport.Transport {

        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            delegate.configure(options, domainSocket, bootstrap);
            bootstrap.handler(acceptHandler);
        }

        @Override
        public boolean supportsDomainSockets() {
            return delegate.supportsDomainSockets();
        }

        @Override
        public boolean supportFileRegion() {
            return delegate.supportFileRegion();
        }

        @Override
        public boolean isAvailable() {
            return delegate.isAvailable();
        }

        @Override
        public Throwable unavailabilityCause() {
            return delegate.unavailabilityCause();
        }

        @Override
        public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
            return delegate.convert(address);
        }

        @Override
        public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
            return delegate.convert(address);
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return delegate.ioHandlerFactory();
        }

        @Override
        public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
            return delegate.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
        }

        @Override
        public DatagramChannel datagramChannel() {
            return delegate.datagramChannel();
        }

        @Override
        @SuppressWarnings("deprecation")   // the SPI is declared with Netty's deprecated protocol family
        public DatagramChannel datagramChannel(InternetProtocolFamily family) {
            return delegate.datagramChannel(family);
        }

        @Override
        public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
            return delegate.channelFactory(domainSocket);
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
            return delegate.serverChannelFactory(domainSocket);
        }

        @Override
        public void configure(DatagramChannel channel, DatagramSocketOptions options) {
            delegate.configure(channel, options);
        }

        @Override
        public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
            delegate.configure(options, connectTimeout, domainSocket, bootstrap);
        }
    }
}
