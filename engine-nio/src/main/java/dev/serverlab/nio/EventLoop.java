package dev.serverlab.nio;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One selector loop, the experiment's asyncio: a single thread that never blocks anywhere but in
 * {@code select}. It knows nothing of HTTP; each ready key goes to what is attached to it ({@link Ready}:
 * a {@link Connection}, or the {@link Acceptor} on the first loop).
 *
 * <pre>
 *   loop:
 *     select(until the next timer)        the only place this thread waits
 *     dispatch each ready key             a connection reads, parses, runs its request, writes
 *     run tasks from other threads        new connections, offloaded results, shutdown
 *     run due timers                      sleeps that end, lingering closes, the timeout sweep
 * </pre>
 *
 * Connections are handed over with {@link #adopt} from any thread; they tell the loop when they close.
 * A connection's own life (the protocol) is on {@link Connection}; where its work runs, on {@link Dispatch}.
 */
final class EventLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

    private static final int READ_BUFFER_BYTES = 64 * 1024;

    private final String name;
    private final Service service;
    private final Dispatch dispatch;
    private final Selector selector;
    private final Thread thread;
    private final long sweepNanos;

    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** Connections handed to this loop and not closed yet: the acceptor picks the least loaded loop by it. */
    private final AtomicInteger load = new AtomicInteger();
    /** Set when the loop has ended (drained, or its selector failed): it takes nothing more. */
    private volatile boolean ended;
    /** Told whenever a connection closes, and when the loop ends; from the loop's thread. */
    private final List<Runnable> onClose = new CopyOnWriteArrayList<>();
    private final List<Runnable> onEnd = new CopyOnWriteArrayList<>();

    // Loop-thread state: no locks needed.
    private final Timers timers = new Timers();
    private final Set<Connection> connections = new HashSet<>();
    /** One read buffer for every connection of the loop: bytes left unparsed are copied out of it. */
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
    private boolean draining;
    /** {@link #now()}: the clock, read once per batch of ready keys (and once for the tasks and timers after it). */
    private long batchNanos;
    private boolean batchTimed;
    /** Made once: a lambda that captures the loop, written where it is used, would be a new object per turn of the loop. */
    private final Consumer<SelectionKey> dispatcher = this::dispatch;
    private final Consumer<RuntimeException> timerFailed = e -> log.warn("{}: a timer failed: {}", name(), e.toString());

    EventLoop(String name, Service service) throws IOException {
        this.name = name;
        this.service = service;
        this.dispatch = new Dispatch(this, service);
        this.selector = Selector.open();
        this.thread = Thread.ofPlatform().name(name).unstarted(this);
        var limits = service.limits();
        long shortest = Math.min(limits.idleTimeout().toNanos(), Math.min(limits.headerReadTimeout().toNanos(), limits.requestDeadline().toNanos()));
        this.sweepNanos = Math.clamp(shortest / 10, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
    }

    void start() {
        thread.start();
    }

    /** Releases the selector of a loop that will never start, when starting the server failed. */
    void discard() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    String name() {
        return name;
    }

    Thread thread() {
        return thread;
    }

    int load() {
        return load.get();
    }

    boolean ended() {
        return ended;
    }

    /** Runs {@code action} on the loop's thread each time one of its connections closes. */
    void onConnectionClosed(Runnable action) {
        onClose.add(action);
    }

    /** Runs {@code action} on the loop's thread when the loop ends. */
    void onEnd(Runnable action) {
        onEnd.add(action);
    }

    /** Runs {@code task} on this loop soon; safe from any thread. */
    void execute(Runnable task) {
        tasks.add(task);
        if (Thread.currentThread() != thread && wakeupPending.compareAndSet(false, true)) selector.wakeup();
    }

    /** Runs {@code action} on this loop at {@code at} ({@link System#nanoTime()}); loop thread only. */
    void schedule(long at, Runnable action) {
        timers.at(at, action);
    }

    /** Registers {@code channel} with this loop's selector; on the loop's thread, or before it starts. */
    SelectionKey register(SelectableChannel channel, int ops, Ready handler) throws ClosedChannelException {
        return channel.register(selector, ops, handler);
    }

    @Override
    public void run() {
        scheduleSweep(System.nanoTime() + sweepNanos);
        try {
            while (!(draining && load.get() == 0)) {
                select();
                runTasks();
                runTimers();
            }
        } catch (IOException | RuntimeException e) {
            log.error("{} stopped: {}", name, e.toString());
        } finally {
            ended = true;
            for (Connection c : List.copyOf(connections)) c.close();
            for (Runnable action : onEnd) action.run();
            try {
                selector.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    /** Waits for readiness until the next timer is due (not at all when a task waits), then dispatches. */
    private void select() throws IOException {
        long delay = timers.nanosToNext(System.nanoTime());
        batchTimed = false;
        if (!tasks.isEmpty() || delay == 0) {
            selector.selectNow(dispatcher);
        } else if (delay < 0) {
            selector.select(dispatcher);
        } else {
            // Round up: waking a little late is fine; waking early would spin until the timer is due.
            selector.select(dispatcher, (delay + 999_999) / 1_000_000);
        }
        batchTimed = false;
        wakeupPending.set(false);
    }

    private void dispatch(SelectionKey key) {
        if (key.attachment() instanceof Ready ready) ready.onReady(key);
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("{}: a task failed: {}", name, e.toString());
            }
        }
    }

    private void runTimers() {
        timers.runDue(System.nanoTime(), timerFailed);
    }

    // ---- what connections ask of their loop ---------------------------------------------------------

    /** Takes a freshly accepted connection, from any thread; it starts reading on this loop's thread. */
    void adopt(SocketChannel channel, long acceptedMicros) {
        load.incrementAndGet();
        Connection c = new Connection(this, service, dispatch, channel, acceptedMicros);
        execute(() -> {
            connections.add(c);
            c.open();
        });
    }

    /**
     * {@link System#nanoTime()} as of this batch of ready keys: what a connection's idle clock counts from.
     * One reading serves every connection of the batch; it is behind the clock by the batch's work at most.
     */
    long now() {
        if (!batchTimed) {
            batchNanos = System.nanoTime();
            batchTimed = true;
        }
        return batchNanos;
    }

    /** The loop's read buffer, cleared for the next read; valid until the loop reads for another connection. */
    ByteBuffer readBuffer() {
        return readBuffer.clear();
    }

    boolean draining() {
        return draining;
    }

    /** Called by a connection as it closes. */
    void closed(Connection c) {
        connections.remove(c);
        load.decrementAndGet();
        for (Runnable action : onClose) action.run();
    }

    // ---- timeouts and shutdown ----------------------------------------------------------------------

    /**
     * Every connection's timeouts, checked by one periodic timer rather than one timer per connection.
     * Each tick judges by its scheduled time, so a sleep due before it always runs first.
     */
    private void scheduleSweep(long at) {
        schedule(at, () -> {
            for (Connection c : new ArrayList<>(connections)) c.sweep(at);
            scheduleSweep(Math.max(at + sweepNanos, System.nanoTime()));
        });
    }

    /**
     * Graceful shutdown, on this loop: idle connections close now, busy ones after their answer (which says
     * {@code Connection: close}); whatever is left at {@code deadline} is closed by force. The loop ends
     * when it has no connections left.
     */
    void drain(long deadline) {
        draining = true;
        for (Connection c : new ArrayList<>(connections)) c.drain();
        schedule(deadline, () -> {
            if (!connections.isEmpty()) log.warn("{}: {} connection(s) still busy after the drain timeout; closing them", name, connections.size());
            for (Connection c : new ArrayList<>(connections)) c.close();
        });
    }
}
