package dev.serverlab.nio;

import dev.serverlab.api.http.Timing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Accepts connections for a group of loops and hands each to the loop with the fewest (microhttp's rule;
 * ties go to the first). It runs on the first loop's thread, registered with that loop's selector. Calls go
 * one way: the acceptor uses the loops; a loop only sees a {@link Ready} key and runs the callbacks the
 * acceptor left with it (a connection closed, the loop ended).
 *
 * <pre>
 *   OP_ACCEPT ─► accept() ─► non-blocking, TCP_NODELAY ─► least-loaded loop.adopt(channel)
 *        ▲                                                    (a task and a wakeup if it is another loop)
 *        └── paused at maxConnections: new clients wait in the kernel's backlog until one closes
 * </pre>
 */
final class Acceptor implements Ready {

    private static final Logger log = LoggerFactory.getLogger(Acceptor.class);

    /** Connections accepted per wake-up, so the accepting loop also serves the ones it has. */
    private static final int BATCH = 64;
    private static final long BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ServerSocketChannel listener;
    private final int maxConnections;
    private final AtomicBoolean paused = new AtomicBoolean();
    private final List<EventLoop> group;
    private final EventLoop home;
    private SelectionKey key;
    private long lastWarning;
    private boolean stopped;

    /** Accepts for {@code group}, on its first loop. */
    Acceptor(ServerSocketChannel listener, int maxConnections, List<EventLoop> group) {
        this.listener = listener;
        this.maxConnections = maxConnections;
        this.group = List.copyOf(group);
        this.home = this.group.get(0);
    }

    /** Starts listening on the home loop's selector. Called once, before the loops start. */
    void listen() throws ClosedChannelException {
        key = home.register(listener, SelectionKey.OP_ACCEPT, this);
        for (EventLoop loop : group) loop.onConnectionClosed(this::connectionClosed);
        home.onEnd(this::stop); // a home loop that ends takes the port with it: clients are refused, not left waiting
    }

    /** Connections open on every loop of the group, or handed over and about to be. */
    int openConnections() {
        int open = 0;
        for (EventLoop loop : group) open += loop.load();
        return open;
    }

    @Override
    public void onReady(SelectionKey ready) {
        try {
            if (ready.isValid() && ready.isAcceptable()) acceptSome();
        } catch (RuntimeException e) {
            log.warn("{}: accepting failed: {}", home.name(), e.toString());
        }
    }

    /** On the home loop, when the listener is ready. */
    private void acceptSome() {
        for (int i = 0; i < BATCH; i++) {
            if (openConnections() >= maxConnections) {
                pause();
                return;
            }
            SocketChannel channel;
            try {
                channel = listener.accept();
                if (channel == null) return;
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            } catch (IOException e) {
                backOff(e);
                return;
            }
            leastLoaded().adopt(channel, Timing.nowMicros());
        }
    }

    private EventLoop leastLoaded() {
        EventLoop best = home; // running this code, so alive
        for (EventLoop loop : group) {
            if (!loop.ended() && loop.load() < best.load()) best = loop;
        }
        return best;
    }

    private void pause() {
        key.interestOps(0);
        paused.set(true);
        if (openConnections() < maxConnections) resume(); // a connection closed while we paused
    }

    private void resume() {
        paused.set(false);
        if (!stopped && key.isValid()) key.interestOps(SelectionKey.OP_ACCEPT);
    }

    /** On any loop, when one of its connections closes: a paused acceptor may take the next client. */
    private void connectionClosed() {
        if (paused.compareAndSet(true, false)) home.execute(this::resume);
    }

    /** accept() failed, typically out of file descriptors: retry soon rather than spin on a ready socket. */
    private void backOff(IOException e) {
        long now = System.nanoTime();
        if (lastWarning == 0 || now - lastWarning > TimeUnit.SECONDS.toNanos(10)) {
            log.warn("accept failed ({}); retrying every 100 ms", e.toString());
            lastWarning = now;
        }
        key.interestOps(0);
        home.schedule(now + BACKOFF_NANOS, this::resume);
    }

    /** On the home loop: stop accepting and release the port, so new clients are refused. Idempotent. */
    void stop() {
        stopped = true;
        if (key != null) key.cancel();
        try {
            listener.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
