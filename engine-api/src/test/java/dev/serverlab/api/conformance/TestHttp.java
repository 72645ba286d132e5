package dev.serverlab.api.conformance;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP/1.1 client on plain sockets for the shape tests: each request on its own connection
 * (closed after the answer, as the experiment's clients did) unless a test keeps one open.
 */
public final class TestHttp {

    private TestHttp() {
    }

    /** One response, with the server's timing headers. */
    public record Answer(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public long acceptedMicros() {
            return Long.parseLong(header("X-Accepted-At"));
        }

        public long startedMicros() {
            return Long.parseLong(header("X-Started-At"));
        }

        public long finishedMicros() {
            return Long.parseLong(header("X-Finished-At"));
        }

        public long serviceMicros() {
            return finishedMicros() - startedMicros();
        }

        public long queuedMicros() {
            return startedMicros() - acceptedMicros();
        }

        public String servedBy() {
            return header("X-Served-By");
        }
    }

    public static Answer get(int port, String path) throws IOException {
        try (Connection c = Connection.open(port)) {
            c.send(path, false);
            return c.read();
        }
    }

    /** Sends {@code count} requests for {@code path} at once, each on its own connection, and waits for all. */
    public static List<Answer> concurrently(int port, int count, String path) throws Exception {
        List<Callable<Answer>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) calls.add(() -> get(port, path));
        return all(calls);
    }

    public static List<Answer> all(List<Callable<Answer>> calls) throws Exception {
        // Platform threads: the client must not compete with a virtual-thread server for its carriers.
        ExecutorService clients = Executors.newFixedThreadPool(calls.size(), Thread.ofPlatform().name("client-", 1).factory());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Answer>> futures = new ArrayList<>();
            for (Callable<Answer> call : calls) {
                futures.add(clients.submit(() -> {
                    go.await();
                    return call.call();
                }));
            }
            go.countDown();
            List<Answer> answers = new ArrayList<>();
            for (Future<Answer> f : futures) answers.add(f.get(60, TimeUnit.SECONDS));
            return answers;
        } finally {
            clients.shutdownNow();
            clients.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Sends {@code count} requests for {@code path} at once from a platform thread, without waiting.
     * (Not CompletableFuture.supplyAsync: on two cores its pool has one thread, and a second batch would
     * wait behind the first.)
     */
    public static Future<List<Answer>> inBackground(int port, int count, String path) {
        FutureTask<List<Answer>> task = new FutureTask<>(() -> concurrently(port, count, path));
        Thread.ofPlatform().name("background-client").daemon().start(task);
        return task;
    }

    /** The largest number of requests that were in service at one moment, from their timing headers. */
    public static int maxInService(List<Answer> answers) {
        List<long[]> events = new ArrayList<>();
        for (Answer a : answers) {
            events.add(new long[]{a.startedMicros(), +1});
            events.add(new long[]{a.finishedMicros(), -1});
        }
        // At equal times an end comes before a start: touching intervals do not overlap.
        events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        int now = 0;
        int max = 0;
        for (long[] e : events) {
            now += (int) e[1];
            max = Math.max(max, now);
        }
        return max;
    }

    /** From the first start to the last finish, in microseconds. */
    public static long spanMicros(List<Answer> answers) {
        long first = answers.stream().mapToLong(Answer::startedMicros).min().orElseThrow();
        long last = answers.stream().mapToLong(Answer::finishedMicros).max().orElseThrow();
        return last - first;
    }

    /** One client connection, for tests that keep it open between requests. */
    public static final class Connection implements Closeable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        private Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        public static Connection open(int port) throws IOException {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(60_000);
            return new Connection(socket);
        }

        public void send(String path, boolean keepAlive) throws IOException {
            String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + (keepAlive ? "" : "Connection: close\r\n") + "\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        public Answer read() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) throw new IOException("the server closed the connection before answering");
                head.write(b);
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            if (body.length < length) throw new IOException("the body ended early");
            return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        /** True when the server closes this connection within {@code timeout} (end of stream or reset). */
        public boolean closedByServerWithin(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            try {
                return in.read() < 0;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException reset) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
