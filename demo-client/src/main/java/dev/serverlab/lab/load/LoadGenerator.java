package dev.serverlab.lab.load;

import dev.serverlab.lab.ExitCode;
import dev.serverlab.lab.Progress;
import dev.serverlab.lab.UserError;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A keep-alive HTTP/1.1 load generator: a few selector threads, each driving its share of the connections
 * with non-blocking IO. The request is encoded once; buffers are reused; a response is only framed, not
 * parsed, so a request costs no allocation.
 *
 * <pre>
 *   closed loop:  connect ─► send ─► wait for the answer ─► send ─► ...        (the server sets the pace)
 *
 *   open loop:    schedule  t0   t0+1/R   t0+2/R ...   one global schedule, dealt out to the connections
 *                 a connection sends its next request at its intended time, or at once when the previous
 *                 answer comes back after that time; latency counts from the intended time, so a stalled
 *                 server is charged for the requests it kept waiting (coordinated omission, as wrk2 fixes)
 * </pre>
 *
 * Each thread owns its connections, its histogram and its counters: the threads share nothing but the
 * clock and a progress counter, and the results are merged at the end.
 */
public final class LoadGenerator {

    /**
     * What to run.
     *
     * @param rate requests per second for the open loop; 0 for the closed loop
     */
    public record Plan(Target target, int connections, int threads, Duration warmup, Duration duration, double rate, Duration timeout) {
        public Plan {
            if (connections < 1) throw new IllegalArgumentException("connections must be at least 1");
            if (threads < 1 || threads > connections) threads = Math.max(1, Math.min(threads, connections));
        }

        public boolean openLoop() {
            return rate > 0;
        }
    }

    /** The errors, by kind, in the measured part of a run. */
    public record Errors(long connect, long timeout, long reset, long non2xx, long protocol) {
        public long total() {
            return connect + timeout + reset + non2xx + protocol;
        }
    }

    /**
     * What a run measured: responses and latencies from the measured window (after warm-up), and the
     * totals of the whole run, warm-up and the drain at the end included.
     *
     * @param latency     microseconds; in the open loop from each request's intended send time
     * @param serviceTime microseconds from the actual send; the same as latency in the closed loop
     * @param totalSent   requests written over the whole run
     * @param totalAnswered responses received over the whole run
     * @param unfinished  requests still unanswered when the run ended
     */
    public record Result(Plan plan, double seconds, long responses, Histogram latency, Histogram serviceTime, Errors errors,
                  long totalSent, long totalAnswered, long unfinished) {
        public double requestsPerSecond() {
            return seconds > 0 ? responses / seconds : 0;
        }
    }

    /** Sees the progress once a second, from the thread that called {@link #run}. */
    public interface Progress {
        void tick(double elapsedSeconds, boolean warmingUp, double currentRate, long errors);
    }

    private static final long TIMEOUT_SCAN_NANOS = 100_000_000L;
    private static final long RECONNECT_BACKOFF_NANOS = 50_000_000L;

    private LoadGenerator() {
    }

    /** Runs the plan to its end and returns what it measured. */
    public static Result run(Plan plan, Progress progress) throws InterruptedException {
        byte[] request = ("GET " + plan.target().path() + " HTTP/1.1\r\nHost: " + plan.target().host() + ":" + plan.target().port()
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer encoded = ByteBuffer.allocateDirect(request.length).put(request).flip();
        long t0 = System.nanoTime();
        long measureFrom = t0 + plan.warmup().toNanos();
        long end = measureFrom + plan.duration().toNanos();
        List<Worker> workers = new ArrayList<>();
        for (int w = 0; w < plan.threads(); w++) {
            List<Integer> mine = new ArrayList<>();
            for (int c = w; c < plan.connections(); c += plan.threads()) mine.add(c);
            try {
                workers.add(new Worker(plan, encoded.asReadOnlyBuffer(), mine, t0, measureFrom, end));
            } catch (IOException e) {
                workers.forEach(Worker::closeQuietly);
                throw new UserError(ExitCode.FAILED, "cannot open a selector: " + e.getMessage());
            }
        }
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers.size(); w++) {
            threads.add(Thread.ofPlatform().name("bench-io-" + (w + 1)).daemon().start(workers.get(w)));
        }
        try {
            long lastCount = 0;
            long lastTick = t0;
            while (threads.stream().anyMatch(Thread::isAlive)) {
                threads.getFirst().join(Duration.ofMillis(200));
                long now = System.nanoTime();
                if (now - lastTick >= 1_000_000_000L && now < end) {
                    long count = workers.stream().mapToLong(w -> w.progress.getOpaque()).sum();
                    long errors = workers.stream().mapToLong(w -> w.progressErrors.getOpaque()).sum();
                    progress.tick((now - t0) / 1e9, now < measureFrom, (count - lastCount) * 1e9 / (now - lastTick), errors);
                    lastCount = count;
                    lastTick = now;
                }
            }
        } catch (InterruptedException e) {
            workers.forEach(w -> w.stop = true);
            for (Thread t : threads) t.join(2000);
            throw e;
        }
        for (Worker w : workers) {
            if (w.failure != null) throw new UserError(ExitCode.FAILED, "the load generator failed: " + w.failure);
        }
        Histogram latency = new Histogram(3);
        Histogram service = new Histogram(3);
        long responses = 0, sent = 0, answered = 0, unfinished = 0;
        long connect = 0, timeout = 0, reset = 0, non2xx = 0, protocol = 0;
        for (Worker w : workers) {
            latency.add(w.latency);
            service.add(w.serviceTime);
            responses += w.responses;
            sent += w.totalSent;
            answered += w.totalAnswered;
            unfinished += w.unfinished;
            connect += w.connectErrors;
            timeout += w.timeouts;
            reset += w.resets;
            non2xx += w.non2xx;
            protocol += w.protocolErrors;
        }
        return new Result(plan, (end - measureFrom) / 1e9, responses, latency, service,
                new Errors(connect, timeout, reset, non2xx, protocol), sent, answered, unfinished);
    }

    /** One connection's state. Fields, not objects: nothing is allocated per request. */
    private static final class Connection {
        final int index;
        final ByteBuffer request;
        final ResponseFraming framing = new ResponseFraming(0);
        SocketChannel channel;
        SelectionKey key;
        boolean connecting;
        long connectStartedAt;
        boolean inFlight;
        long sentAt;
        long intendedAt;
        long readyAt;
        /** Open loop: how many requests this connection has been scheduled so far. */
        long scheduled;
        /** When this connection should next act (send or reconnect), while it waits in the schedule. */
        long dueAt;
        boolean due;

        Connection(int index, ByteBuffer request) {
            this.index = index;
            this.request = request;
        }
    }

    /** A selector thread and the connections it drives. */
    private static final class Worker implements Runnable {
        private final Plan plan;
        private final InetSocketAddress address;
        private final List<Connection> connections = new ArrayList<>();
        private final Selector selector;
        private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
        private final byte[] bytes = new byte[64 * 1024];
        private final PriorityQueue<Connection> schedule = new PriorityQueue<>(Comparator.comparingLong(c -> c.dueAt));
        private final Consumer<SelectionKey> onReady = this::onReady;
        private final long t0;
        private final long measureFrom;
        private final long end;
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

        Worker(Plan plan, ByteBuffer request, List<Integer> indexes, long t0, long measureFrom, long end) throws IOException {
            this.plan = plan;
            this.address = plan.target().address();
            this.selector = Selector.open();
            this.t0 = t0;
            this.measureFrom = measureFrom;
            this.end = end;
            this.timeoutNanos = plan.timeout().toNanos();
            this.nanosPerRequest = plan.openLoop() ? 1e9 / plan.rate() : 0;
            for (int index : indexes) connections.add(new Connection(index, request.duplicate()));
        }

        @Override
        public void run() {
            try {
                now = System.nanoTime();
                for (Connection c : connections) connect(c);
                loop();
            } catch (IOException | RuntimeException e) {
                failure = e.toString();
            } finally {
                for (Connection c : connections) {
                    if (c.inFlight) unfinished++;
                    closeChannel(c);
                }
                closeQuietly();
            }
        }

        private void loop() throws IOException {
            long nextTimeoutScan = now + TIMEOUT_SCAN_NANOS;
            long drainUntil = end + timeoutNanos;
            while (!stop) {
                now = System.nanoTime();
                if (!measuring && now >= measureFrom) startMeasuring();
                boolean ending = now >= end;
                if (ending && (inFlight() == 0 || now >= drainUntil)) return;
                while (!ending && !schedule.isEmpty() && schedule.peek().dueAt <= now) {
                    Connection c = schedule.poll();
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
            for (Connection c : connections) {
                if (c.inFlight) n++;
            }
            return n;
        }

        private void connect(Connection c) {
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

        private void connected(Connection c) {
            c.connecting = false;
            c.readyAt = now;
            next(c);
        }

        /** The connection is free: send at once (closed loop), or at its next intended time (open loop). */
        private void next(Connection c) {
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

        private void send(Connection c, long intended) {
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
            Connection c = (Connection) key.attachment();
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

        private void read(Connection c) throws IOException {
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

        private void answered(Connection c) {
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
            for (Connection c : connections) {
                if (c.inFlight && now - c.sentAt > timeoutNanos) failed(c, Kind.TIMEOUT);
                else if (c.connecting && c.channel != null && now - c.connectStartedAt > timeoutNanos) failed(c, Kind.CONNECT);
            }
        }

        private enum Kind { CONNECT, TIMEOUT, RESET, PROTOCOL }

        private void failed(Connection c, Kind kind) {
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
        private void reconnect(Connection c, long afterNanos) {
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

        private void closeChannel(Connection c) {
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
}
