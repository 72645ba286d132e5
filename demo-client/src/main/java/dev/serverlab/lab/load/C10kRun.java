package dev.serverlab.lab.load;


import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The C10K test: open N connections, then send one request on each at once, and wait for N answers.
 *
 * <pre>
 *   CONNECT   up to 1,024 handshakes at a time, spread over source addresses 127.0.0.2, .3, ...
 *      │      (each source address has its own range of ephemeral ports)
 *   SEND      one GET on every open connection, as fast as they can be written
 *      │
 *   WAIT      read the answers; check each status and body; sample the server's RSS
 *      │
 *   CLOSE     with a reset (SO_LINGER 0), so no port is left in TIME_WAIT for the next run
 * </pre>
 *
 * One selector thread is enough: the client does almost nothing per connection, and the test is about
 * what the server does with N connections at once.
 */
public final class C10kRun {

    /** Handshakes in flight at once: enough to fill any accept backlog, few enough not to flood SYN queues. */
    private static final int CONNECT_WINDOW = 1024;
    private static final long SAMPLE_NANOS = 100_000_000L;

    /**
     * @param expectedBody the body every answer must have, or null to check only for a 2xx status
     * @param serverPid    the server's process, for its memory; -1 when unknown
     */
    public record Plan(Target target, int connections, int sources, Duration connectTimeout, Duration answerTimeout,
                byte[] expectedBody, long serverPid) {
    }

    /** Why connections failed, by kind. */
    public record Failures(int connect, int connectTimeout, int reset, int timeout, int wrongAnswer) {
        public int total() {
            return connect + connectTimeout + reset + timeout + wrongAnswer;
        }
    }

    /**
     * What a run saw. Memory figures are KiB, -1 when unknown.
     *
     * @param connectSeconds from the first connect to the last connection established
     * @param totalSeconds   from the first request sent to the last answer (the time to drain)
     * @param latency        microseconds from sending each request to its answer
     * @param firstWrong     what the first wrong answer was, for the report; null when none
     */
    public record Result(Plan plan, int connected, double connectSeconds, double totalSeconds, int ok, Failures failures,
                  Histogram latency, long idleRssKiB, long peakRssKiB, String firstWrong) {

        /** The server's extra resident memory per connection, in KiB; -1 when unknown. */
        public double rssPerConnectionKiB() {
            if (idleRssKiB < 0 || peakRssKiB < 0 || plan.connections() == 0) return -1;
            return (peakRssKiB - idleRssKiB) / (double) plan.connections();
        }
    }

    private enum State { NEW, CONNECTING, OPEN, SENT, ANSWERED, FAILED }

    private static final class Connection {
        SocketChannel channel;
        State state = State.NEW;
        long startedAt;
        long sentAt;
        final ResponseFraming framing = new ResponseFraming(ResponseFraming.KEEP);
    }

    private final Plan plan;
    private final Connection[] connections;
    private final InetAddress[] sources;
    private final InetSocketAddress address;
    private final ByteBuffer request;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    private final Histogram latency = new Histogram(3);
    private final Selector selector;
    private final Consumer<SelectionKey> onReady = this::onReady;
    private int connect, connectTimeout, reset, timeout, wrongAnswer, ok, connected;
    private String firstWrong;
    private long lastConnectedAt;
    private long lastAnswerAt;
    private long peakRss = -1;
    private long nextSample;

    private C10kRun(Plan plan) throws IOException {
        this.plan = plan;
        this.address = plan.target().address();
        this.connections = new Connection[plan.connections()];
        for (int i = 0; i < connections.length; i++) connections[i] = new Connection();
        this.sources = sourceAddresses(address, plan.sources());
        this.request = ByteBuffer.wrap(("GET " + plan.target().path() + " HTTP/1.1\r\nHost: " + plan.target().host() + ":"
                + plan.target().port() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)).asReadOnlyBuffer();
        this.selector = Selector.open();
    }

    /** How many source addresses N connections need: at least 2, each using at most half its port range. */
    public static int sourcesFor(int connections) {
        return Math.max(2, (int) Math.ceil(connections / (ephemeralPorts() / 2.0)));
    }

    /** The size of the ephemeral port range, from /proc/sys/net/ipv4/ip_local_port_range (28,232 by default). */
    public static int ephemeralPorts() {
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1;
        } catch (IOException | RuntimeException e) {
            return 28_232;
        }
    }

    /** Runs the test; {@code progress} hears about each phase. */
    public static Result run(Plan plan, Consumer<String> progress) throws IOException {
        C10kRun run = new C10kRun(plan);
        try {
            return run.go(progress);
        } finally {
            run.closeAll();
        }
    }

    private static InetAddress[] sourceAddresses(InetSocketAddress target, int count) throws UnknownHostException {
        // Other loopback addresses only reach a server on IPv4 loopback; elsewhere the kernel picks the source.
        if (!(target.getAddress() instanceof Inet4Address) || !target.getAddress().isLoopbackAddress()) return new InetAddress[0];
        InetAddress[] addresses = new InetAddress[Math.min(count, 250)];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + i)});
        }
        return addresses;
    }

    private Result go(Consumer<String> progress) throws IOException {
        long idleRss = sampleRss();
        long connectStart = System.nanoTime();
        progress.accept(String.format("connecting %,d connections from %d source address(es)...", connections.length, Math.max(1, sources.length)));
        connectAll();
        double connectSeconds = ((connected > 0 ? lastConnectedAt : System.nanoTime()) - connectStart) / 1e9;
        progress.accept(String.format("%,d connected in %.2f s; sending one request on each...", connected, connectSeconds));

        long sendStart = System.nanoTime();
        for (Connection c : connections) {
            if (c.state == State.OPEN) send(c);
        }
        long deadline = System.nanoTime() + plan.answerTimeout().toNanos();
        int waiting = countIn(State.SENT);
        long lastReport = System.nanoTime();
        while (waiting > 0 && System.nanoTime() < deadline) {
            selector.select(onReady, 50);
            long now = System.nanoTime();
            if (now >= nextSample) sampleRss();
            waiting = countIn(State.SENT);
            if (now - lastReport > 5_000_000_000L) {
                progress.accept(String.format("%,d answered, %,d waiting, %.0f s", ok + wrongAnswer, waiting, (now - sendStart) / 1e9));
                lastReport = now;
            }
        }
        sampleRss();
        for (Connection c : connections) {
            if (c.state == State.SENT) fail(c, () -> timeout++);
        }
        double totalSeconds = ((ok + wrongAnswer > 0 ? lastAnswerAt : System.nanoTime()) - sendStart) / 1e9;
        return new Result(plan, connected, connectSeconds, totalSeconds, ok,
                new Failures(connect, connectTimeout, reset, timeout, wrongAnswer), latency, idleRss, peakRss, firstWrong);
    }

    private void connectAll() throws IOException {
        long timeoutNanos = plan.connectTimeout().toNanos();
        int next = 0;
        int pending = 0;
        long nextScan = System.nanoTime() + SAMPLE_NANOS;
        while (next < connections.length || pending > 0) {
            while (pending < CONNECT_WINDOW && next < connections.length) {
                if (startConnect(connections[next], next)) pending++;
                next++;
            }
            selector.select(onReady, 20);
            long now = System.nanoTime();
            if (now >= nextSample) sampleRss();
            if (now >= nextScan || pending > 0) {
                pending = 0;
                for (int i = 0; i < next; i++) {
                    Connection c = connections[i];
                    if (c.state != State.CONNECTING) continue;
                    if (now - c.startedAt > timeoutNanos) fail(c, () -> connectTimeout++);
                    else pending++;
                }
                nextScan = now + SAMPLE_NANOS;
            }
        }
    }

    private boolean startConnect(Connection c, int index) {
        c.startedAt = System.nanoTime();
        try {
            SocketChannel channel = SocketChannel.open();
            c.channel = channel;
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            if (sources.length > 0) channel.bind(new InetSocketAddress(sources[index % sources.length], 0));
            c.state = State.CONNECTING;
            if (channel.connect(address)) {
                channel.register(selector, SelectionKey.OP_READ, c);
                opened(c);
                return false;
            }
            channel.register(selector, SelectionKey.OP_CONNECT, c);
            return true;
        } catch (IOException e) {
            fail(c, () -> connect++);
            return false;
        }
    }

    private void opened(Connection c) {
        c.state = State.OPEN;
        connected++;
        lastConnectedAt = System.nanoTime();
    }

    private void send(Connection c) {
        ByteBuffer bytes = request.duplicate();
        try {
            c.channel.write(bytes);
            c.sentAt = System.nanoTime();
            c.state = State.SENT;
            if (bytes.hasRemaining()) {
                // Never seen with a request this short; a blocking write keeps the test simple if it happens.
                c.channel.configureBlocking(true);
                while (bytes.hasRemaining()) c.channel.write(bytes);
                c.channel.configureBlocking(false);
            }
        } catch (IOException e) {
            fail(c, () -> reset++);
        }
    }

    private void onReady(SelectionKey key) {
        Connection c = (Connection) key.attachment();
        if (!key.isValid()) return;
        try {
            if (key.isConnectable()) {
                if (c.channel.finishConnect()) {
                    key.interestOps(SelectionKey.OP_READ);
                    opened(c);
                }
                return;
            }
            if (key.isReadable()) read(c);
        } catch (IOException e) {
            if (c.state == State.CONNECTING) fail(c, () -> connect++);
            else fail(c, () -> reset++);
        }
    }

    private void read(Connection c) throws IOException {
        readBuffer.clear();
        int n = c.channel.read(readBuffer);
        if (n < 0) {
            if (c.state == State.SENT && c.framing.closeEndsResponse()) answered(c);
            else fail(c, () -> reset++);
            return;
        }
        if (c.state != State.SENT) {
            fail(c, () -> wrongAnswer++);   // bytes before any request: not HTTP as we know it
            return;
        }
        try {
            if (c.framing.feed(readBuffer.array(), 0, n) >= 0) answered(c);
        } catch (ResponseFraming.Malformed e) {
            wrong(c, "malformed response: " + e.getMessage());
        }
    }

    private void answered(Connection c) {
        long now = System.nanoTime();
        lastAnswerAt = now;
        latency.recordValue(Math.max(0, (now - c.sentAt) / 1000));
        int status = c.framing.status();
        byte[] expected = plan.expectedBody();
        if (status < 200 || status > 299) {
            wrong(c, "status " + status);
        } else if (expected != null && !c.framing.bodyIs(expected)) {
            wrong(c, "body '" + c.framing.bodyText().strip() + "'");
        } else {
            ok++;
            c.state = State.ANSWERED;
            close(c);
        }
    }

    private void wrong(Connection c, String what) {
        if (firstWrong == null) firstWrong = what;
        fail(c, () -> wrongAnswer++);
    }

    private void fail(Connection c, Runnable count) {
        count.run();
        c.state = State.FAILED;
        close(c);
    }

    private int countIn(State state) {
        int n = 0;
        for (Connection c : connections) {
            if (c.state == state) n++;
        }
        return n;
    }

    private long sampleRss() {
        nextSample = System.nanoTime() + SAMPLE_NANOS;
        if (plan.serverPid() < 0) return -1;
        long rss = ServerMemory.rssKiB(plan.serverPid()).orElse(-1L);
        if (rss > peakRss) peakRss = rss;
        return rss;
    }

    private void close(Connection c) {
        if (c.channel == null) return;
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
        c.channel = null;
    }

    private void closeAll() {
        for (Connection c : connections) close(c);
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }
}
