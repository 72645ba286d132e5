package dev.serverlab.nio;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.conformance.RawHttp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/** Small helpers the nio tests share: start a server, wait for a condition, read timing headers. */
final class Servers {

    private Servers() {
    }

    static NioEngine.Server start(EngineConfig config, Application application) {
        try {
            return (NioEngine.Server) new NioEngine().start(config, application);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static NioEngine.Server start(EngineConfig config) {
        return start(config, Application.experiment());
    }

    /**
     * {@code GET /} answers "hello"; any other path is a CPU step that counts {@code computing} down and holds
     * its thread for {@code millis} (a sleep stands in for computing: on a loop the effect is the same), then
     * answers {@code answer}.
     */
    static Application helloOrCompute(CountDownLatch computing, long millis, String answer) {
        return request -> request.path().equals("/")
                ? Reply.of(Response.ok("hello\n"))
                : Reply.compute(safepoint -> {
                    computing.countDown();
                    try {
                        Thread.sleep(millis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Reply.of(Response.ok(answer));
                });
    }

    static InetSocketAddress address(NioEngine.Server server) {
        return new InetSocketAddress("127.0.0.1", server.port());
    }

    /** Polls {@code condition} every 10 ms; true as soon as it holds, false after {@code timeout}. */
    static boolean eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (condition.getAsBoolean()) return true;
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    /** The thread name in {@code X-Served-By} ({@code pid/thread}). */
    static String thread(RawHttp.Reply reply) {
        String servedBy = reply.header(Timing.SERVED_BY);
        return servedBy.substring(servedBy.indexOf('/') + 1);
    }

    static long started(RawHttp.Reply reply) {
        return reply.micros(Timing.STARTED);
    }

    static long finished(RawHttp.Reply reply) {
        return reply.micros(Timing.FINISHED);
    }
}
