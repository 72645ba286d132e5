package dev.serverlab.lab.load;

import dev.serverlab.api.http.Timing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * The experiment's clients: N of them, released at the same instant, each opening its own connection and
 * sending one GET. Each records when it connected and when its answer arrived, and reads the server's
 * timing headers, so a request's whole life can be drawn.
 */
public final class LabClient {

    /**
     * One client's request. Times are epoch microseconds; server times are 0 when the server sent no timing headers.
     */
    public record Sample(int client, long releasedMicros, long connectedMicros, long acceptedMicros, long startedMicros,
                         long finishedMicros, long doneMicros, int status, String servedBy, String body, String error) {

        public boolean ok() {
            return error == null && status >= 200 && status < 300;
        }

        public long latencyMicros() {
            return doneMicros - releasedMicros;
        }

        public boolean hasServerTimes() {
            return startedMicros > 0 && finishedMicros > 0;
        }
    }

    private LabClient() {
    }

    /** Fires {@code clients} concurrent GETs for {@code target.path()}; returns the samples in client order. */
    public static List<Sample> fire(Target target, int clients, Duration timeout) throws InterruptedException {
        Sample[] samples = new Sample[clients];
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        long[] released = new long[1];
        List<Thread> threads = new ArrayList<>(clients);
        for (int i = 0; i < clients; i++) {
            int client = i + 1;
            threads.add(Thread.ofPlatform().name("client-" + client).daemon().start(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                samples[client - 1] = one(client, target, released[0], timeout);
            }));
        }
        ready.await();
        released[0] = Timing.nowMicros();
        go.countDown();
        for (Thread t : threads) t.join();
        return List.of(samples);
    }

    /** One request on a fresh connection. Failures are recorded in the sample, not thrown. */
    static Sample one(int client, Target target, long releasedMicros, Duration timeout) {
        long connected = 0;
        try (Socket socket = new Socket()) {
            socket.connect(target.address(), (int) timeout.toMillis());
            connected = Timing.nowMicros();
            socket.setSoTimeout((int) timeout.toMillis());
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target.path() + " HTTP/1.1\r\nHost: " + target.host() + ":" + target.port()
                    + "\r\nUser-Agent: serverlab-lab\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Response r = Response.read(socket.getInputStream());
            long done = Timing.nowMicros();
            return new Sample(client, releasedMicros, connected, r.micros(Timing.ACCEPTED), r.micros(Timing.STARTED),
                    r.micros(Timing.FINISHED), done, r.status, r.header(Timing.SERVED_BY), r.body, null);
        } catch (ConnectException e) {
            return failed(client, releasedMicros, connected, "connection refused");
        } catch (SocketTimeoutException e) {
            return failed(client, releasedMicros, connected, "timed out after " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return failed(client, releasedMicros, connected, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    private static Sample failed(int client, long released, long connected, String error) {
        return new Sample(client, released, connected, 0, 0, 0, Timing.nowMicros(), 0, null, null, error);
    }

    /** Just enough of an HTTP/1.1 response reader for the lab's clients. */
    public record Response(int status, List<String[]> headers, String body) {

        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) return h[1];
            }
            return null;
        }

        long micros(String name) {
            String v = header(name);
            if (v == null) return 0;
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        public static Response read(InputStream in) throws IOException {
            String status = line(in);
            if (status == null) throw new IOException("the server closed the connection without answering");
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP response: " + status);
            int code;
            try {
                code = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status line: " + status);
            }
            List<String[]> headers = new ArrayList<>();
            String line;
            long length = -1;
            while ((line = line(in)) != null && !line.isEmpty()) {
                int colon = line.indexOf(':');
                if (colon <= 0) continue;
                String name = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                headers.add(new String[] {name, value});
                if (name.toLowerCase(Locale.ROOT).equals("content-length")) length = Long.parseLong(value);
            }
            byte[] body = length >= 0 ? in.readNBytes((int) Math.min(length, 1 << 20)) : in.readNBytes(1 << 20);
            return new Response(code, headers, new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(80);
            int c;
            while ((c = in.read()) >= 0 && c != '\n') b.write(c);
            if (c < 0 && b.size() == 0) return null;
            String s = b.toString(StandardCharsets.ISO_8859_1);
            return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
    }
}
