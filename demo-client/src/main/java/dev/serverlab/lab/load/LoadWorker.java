package dev.serverlab.lab.load;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** A selector thread and the connections it drives. */
final class LoadWorker implements Runnable {

    private static final long TIMEOUT_SCAN_NANOS = 100_000_000L;
    private static final long RECONNECT_BACKOFF_NANOS = 50_000_000L;

    private final LoadGenerator.Plan plan;
    private final InetSocketAddress address;
    private final List<LoadConnection> connections = new ArrayList<>();
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final byte[] bytes = new byte[64 * 1024];
    private final PriorityQueue<LoadConnection> schedule = new PriorityQueue<>(Comparator.comparingLong(c -> c.dueAt));
    private final Consumer<SelectionKey> onReady = this::onReady;
    private final long t0;
    /** The measured window, as this thread knows it; Long.MAX_VALUE while warming up. */
    private long measureFrom = Long.MAX_VALUE;
    private long end = Long.MAX_VALUE;
    /** The window the coordinator opened: written end first, read from first, so seeing one means seeing both. */
    private volatile long openedFrom = Long.MAX_VALUE;
    private volatile long openedEnd = Long.MAX_VALUE;
    private final long timeoutNanos;
    private final double nanosPerRequest;

    final Histogram latency = new Histogram(3);
    final Histogram serviceTime = new Histogram(3);
    final AtomicLong progress = new AtomicLong();
    final AtomicLong progressErrors = new AtomicLong();
    volatile boolean stop;
    volatile String failure;
    long responses, totalSent, totalAnswered, unfinished;
    long connectErrors, timeouts, resets, non2xx, protocolErrors;
    private boolean measuring;
    private long now;

    LoadWorker(LoadGenerator.Plan plan, ByteBuffer request, List<Integer> indexes, long t0) throws IOException {
        this.plan = plan;
        this.address = plan.target().address();
        this.selector = Selector.open();
        this.t0 = t0;
        this.timeoutNanos = plan.timeout().toNanos();
        this.nanosPerRequest = plan.openLoop() ? 1e9 / plan.rate() : 0;
        for (int index : indexes) connections.add(new LoadConnection(index, request.duplicate()));
    }

    /** Opens the measured window; the coordinator calls it ahead of {@code from}, and this thread picks it up in time. */
    void open(long from, long until) {
        openedEnd = until;
        openedFrom = from;
    }

    @Override
    public void run() {
        try {
            now = System.nanoTime();
            for (LoadConnection c : connections) connect(c);
            loop();
        } catch (IOException | RuntimeException e) {
            failure = e.toString();
        } finally {
            for (LoadConnection c : connections) {
                if (c.inFlight) unfinished++;
                closeChannel(c);
            }
            closeQuietly();
        }
    }

    private void loop() throws IOException {
        long nextTimeoutScan = now + TIMEOUT_SCAN_NANOS;
        while (!stop) {
            now = System.nanoTime();
            if (measureFrom == Long.MAX_VALUE && openedFrom != Long.MAX_VALUE) {
                measureFrom = openedFrom;
                end = openedEnd;
            }
            long drainUntil = end == Long.MAX_VALUE ? Long.MAX_VALUE : end + timeoutNanos;
            if (!measuring && now >= measureFrom) startMeasuring();
            boolean ending = now >= end;
            if (ending && (inFlight() == 0 || now >= drainUntil)) return;
            while (!ending && !schedule.isEmpty() && schedule.peek().dueAt <= now) {
                LoadConnection c = schedule.poll();
                c.due = false;
                if (c.channel == null) connect(c);
                else send(c, c.intendedAt);
            }
            if (now >= nextTimeoutScan) {
                scanTimeouts();
                nextTimeoutScan = now + TIMEOUT_SCAN_NANOS;
            }
            long wakeAt = Math.min(nextTimeoutScan, ending ? drainUntil : end);
            if (!measuring) wakeAt = Math.min(wakeAt, measureFrom);
            if (!ending && !schedule.isEmpty()) wakeAt = Math.min(wakeAt, schedule.peek().dueAt);
            long waitNanos = wakeAt - System.nanoTime();
            if (waitNanos <= 0) {
                selector.selectNow(onReady);
            } else {
                // Selectors count in milliseconds: round down, and poll for the last part of a millisecond.
                selector.select(onReady, Math.max(1, waitNanos / 1_000_000L));
            }
        }
    }

    private void startMeasuring() {
        measuring = true;
        latency.reset();
        serviceTime.reset();
        responses = 0;
        timeouts = resets = non2xx = protocolErrors = 0;
    }

    private int inFlight() {
        int n = 0;
        for (LoadConnection c : connections) {
            if (c.inFlight) n++;
        }
        return n;
    }

    private void connect(LoadConnection c) {
        c.connecting = true;
        c.connectStartedAt = now;
        try {
            SocketChannel channel = SocketChannel.open();
            c.channel = channel;
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (channel.connect(address)) {
                c.key = channel.register(selector, SelectionKey.OP_READ, c);
                connected(c);
            } else {
                c.key = channel.register(selector, SelectionKey.OP_CONNECT, c);
            }
        } catch (IOException e) {
            failed(c, Kind.CONNECT);
        }
    }

    private void connected(LoadConnection c) {
        c.connecting = false;
        c.readyAt = now;
        next(c);
    }

    /** The connection is free: send at once (closed loop), or at its next intended time (open loop). */
    private void next(LoadConnection c) {
        if (now >= end) return;
        if (!plan.openLoop()) {
            send(c, now);
            return;
        }
        long intended = t0 + (long) ((c.index + c.scheduled * plan.connections()) * nanosPerRequest);
        c.scheduled++;
        c.intendedAt = intended;
        if (intended <= now) {
            send(c, intended);
        } else {
            c.dueAt = intended;
            c.due = true;
            schedule.offer(c);
        }
    }

    private void send(LoadConnection c, long intended) {
        c.request.clear();
        now = System.nanoTime();
        try {
            c.channel.write(c.request);
            if (c.request.hasRemaining()) c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        } catch (IOException e) {
            failed(c, Kind.RESET);
            return;
        }
        c.inFlight = true;
        c.sentAt = now;
        c.intendedAt = intended;
        totalSent++;
    }

    private void onReady(SelectionKey key) {
        LoadConnection c = (LoadConnection) key.attachment();
        if (!key.isValid()) return;
        now = System.nanoTime();
        try {
            if (key.isConnectable()) {
                if (!c.channel.finishConnect()) return;
                key.interestOps(SelectionKey.OP_READ);
                connected(c);
                return;
            }
            if (key.isWritable()) {
                c.channel.write(c.request);
                if (!c.request.hasRemaining()) key.interestOps(SelectionKey.OP_READ);
            }
            if (key.isReadable()) read(c);
        } catch (ConnectException e) {
            failed(c, Kind.CONNECT);
        } catch (IOException e) {
            failed(c, c.connecting ? Kind.CONNECT : Kind.RESET);
        }
    }

    private void read(LoadConnection c) throws IOException {
        readBuffer.clear();
        int n = c.channel.read(readBuffer);
        if (n < 0) {
            if (c.inFlight && c.framing.closeEndsResponse()) answered(c);
            else if (c.inFlight || c.framing.inProgress()) failed(c, Kind.RESET);
            else reconnect(c, 0);
            return;
        }
        readBuffer.flip();
        readBuffer.get(bytes, 0, n);
        SocketChannel channel = c.channel;
        int at = 0;
        while (at < n) {
            int endOfResponse;
            try {
                endOfResponse = c.framing.feed(bytes, at, n);
            } catch (ResponseFraming.Malformed e) {
                failed(c, Kind.PROTOCOL);
                return;
            }
            if (endOfResponse < 0) return;
            if (!c.inFlight) {
                failed(c, Kind.PROTOCOL);   // an answer to nothing we asked
                return;
            }
            at = endOfResponse;
            answered(c);
            if (c.channel != channel) return;   // it closed after that answer
        }
    }

    private void answered(LoadConnection c) {
        c.inFlight = false;
        totalAnswered++;
        progress.setOpaque(totalAnswered);
        int status = c.framing.status();
        if (measuring) {
            long start = plan.openLoop() && c.readyAt > c.intendedAt ? c.intendedAt : c.sentAt;
            latency.recordValue(Math.max(0, (now - start) / 1000));
            serviceTime.recordValue(Math.max(0, (now - c.sentAt) / 1000));
            if (now < end) responses++;
            if (status < 200 || status > 299) {
                non2xx++;
                progressErrors.setOpaque(progressErrors.getPlain() + 1);
            }
        }
        c.readyAt = now;
        if (c.framing.closeAfter()) {
            reconnect(c, 0);
        } else {
            next(c);
        }
    }

    private void scanTimeouts() {
        for (LoadConnection c : connections) {
            if (c.inFlight && now - c.sentAt > timeoutNanos) failed(c, Kind.TIMEOUT);
            else if (c.connecting && c.channel != null && now - c.connectStartedAt > timeoutNanos) failed(c, Kind.CONNECT);
        }
    }

    private enum Kind { CONNECT, TIMEOUT, RESET, PROTOCOL }

    private void failed(LoadConnection c, Kind kind) {
        if (measuring || kind == Kind.CONNECT) {
            switch (kind) {
                case CONNECT -> connectErrors++;
                case TIMEOUT -> timeouts++;
                case RESET -> resets++;
                case PROTOCOL -> protocolErrors++;
            }
            progressErrors.setOpaque(progressErrors.getPlain() + 1);
        }
        reconnect(c, kind == Kind.CONNECT ? RECONNECT_BACKOFF_NANOS : 0);
    }

    /** Closes the connection and opens a new one, now or after a pause (a refused connect is not retried in a busy loop). */
    private void reconnect(LoadConnection c, long afterNanos) {
        closeChannel(c);
        c.inFlight = false;
        c.framing.reset();
        if (now >= end || stop) return;
        if (afterNanos == 0) {
            connect(c);
        } else {
            if (c.due) schedule.remove(c);
            c.dueAt = now + afterNanos;
            c.due = true;
            schedule.offer(c);
        }
    }

    private void closeChannel(LoadConnection c) {
        if (c.due) {
            schedule.remove(c);
            c.due = false;
        }
        if (c.channel == null) return;
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
        c.channel = null;
        c.key = null;
        c.connecting = false;
    }

    void closeQuietly() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }
}
