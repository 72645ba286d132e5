package dev.serverlab.netty;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * Sends a few requests of the experiment through a connection's pipeline on an {@link EmbeddedChannel}
 * before the server takes clients, so that the first client does not wait while the JVM loads the
 * codec, the screen and the application: the lab's timelines should show the model, not a cold start.
 * It uses the built-in experiment, never the user's application, and writes nothing to the access log.
 */
final class Warmup {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);

    private static final String REQUESTS = "GET / HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "HEAD /fib/1 HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "GET /sleep/0 HTTP/1.1\r\nHost: warmup\r\n\r\n"
            + "POST / HTTP/1.1\r\nHost: warmup\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            + "GET /nowhere HTTP/1.0\r\n\r\n";

    private Warmup() {
    }

    /** Never fails: a warm-up that goes wrong only means a slower first request, so it is logged at debug. */
    static void run(Limits limits) {
        try {
            serve(limits, REQUESTS);
            serve(limits, "BAD\r\n\r\n");
        } catch (RuntimeException e) {
            log.debug("warm-up failed; the first requests will be slower", e);
        }
    }

    private static void serve(Limits limits, String requests) {
        ServerContext quiet = new ServerContext(Application.experiment(), limits, new AccessLog(false), null);
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                HttpPipeline.configure(ch.pipeline(), quiet, 0L);
            }
        });
        try {
            channel.writeInbound(Unpooled.copiedBuffer(requests, StandardCharsets.ISO_8859_1));
            channel.runPendingTasks();
            channel.runScheduledPendingTasks();
        } finally {
            Object msg;
            while ((msg = channel.readOutbound()) != null) ReferenceCountUtil.release(msg);
            channel.finishAndReleaseAll();
        }
    }
}
