package dev.serverlab.netty;

import dev.serverlab.api.Limits;
import dev.serverlab.api.http.Timing;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * Each connection's pipeline, bytes in at the top, responses out through the codec:
 *
 * <pre>
 *   RequestScreen        the shared parser reads the same bytes: the contract's refusals (400, 408,
 *                        413, 414, 417, 431, 501, 505) as a Refusal in order; read deadlines
 *   HttpServerCodec      bytes &lt;-&gt; HTTP messages, with the shared request-line and header limits
 *   RequestGuard         what Netty alone cannot decode becomes a Refusal too
 *   HttpObjectAggregator head + body chunks -&gt; one FullHttpRequest; sends 100 Continue
 *   ExchangeHandler      runs the application, writes responses in order, closes idle connections
 * </pre>
 */
final class HttpPipeline extends ChannelInitializer<SocketChannel> {

    private final ServerContext server;

    HttpPipeline(ServerContext server) {
        this.server = server;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        Long accepted = ch.attr(AcceptGate.ACCEPTED_AT).get();
        configure(ch.pipeline(), server, accepted != null ? accepted : Timing.nowMicros());
    }

    /** Builds the pipeline above; tests call it on an {@code EmbeddedChannel}. */
    static void configure(ChannelPipeline p, ServerContext server, long acceptedMicros) {
        Limits limits = server.limits();
        RequestScreen screen = new RequestScreen(limits);
        p.addLast("screen", screen);
        p.addLast("codec", new HttpServerCodec(decoderConfig(limits)));
        p.addLast("guard", new RequestGuard());
        p.addLast("aggregator", new HttpObjectAggregator((int) limits.maxBodyBytes()));
        p.addLast("exchange", new ExchangeHandler(server, screen, acceptedMicros));
    }

    static HttpDecoderConfig decoderConfig(Limits limits) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLineBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                // The shared codec accepts repeated equal Content-Length values, and bare LF line ends (RFC 9112 §2.2).
                .setAllowDuplicateContentLengths(true)
                .setStrictLineParsing(false);
    }
}
