package dev.serverlab.nio;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.conformance.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.serverlab.nio.Servers.finished;
import static dev.serverlab.nio.Servers.started;
import static org.assertj.core.api.Assertions.assertThat;

/** What the loop does with bytes: split reads, pipelining, partial writes, backpressure, clients that leave. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NioWireTest {

    /** Bodies up to 16 MiB, so a response can be larger than every kernel buffer on the way. */
    private static final Limits BIG_BODIES = Limits.DEFAULTS.withMaxBodyBytes(16 * 1024 * 1024);

    private NioEngine.Server server;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        server = Servers.start(EngineConfig.ephemeral().withLimits(BIG_BODIES));
        address = Servers.address(server);
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    @Test
    void aRequestSplitAcrossManyReadsIsAssembled() throws Exception {
        byte[] request = "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"
                .getBytes(StandardCharsets.US_ASCII);
        try (RawHttp http = new RawHttp(address)) {
            for (byte b : request) {
                http.send(new byte[] {b}); // TCP_NODELAY: each byte leaves as its own segment
                Thread.sleep(1);
            }
            RawHttp.Reply reply = http.read();
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.text()).isEqualTo("hello world");
            // and the connection is still good for the next request
            http.send("GET /fib/10 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(http.read().text()).isEqualTo("55\n");
        }
    }

    @Test
    void twoPipelinedRequestsInOneWriteAreAnsweredInOrder() throws Exception {
        try (RawHttp http = new RawHttp(address)) {
            http.send("GET /sleep/200 HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
            List<RawHttp.Reply> replies = http.read(2);
            assertThat(replies).extracting(RawHttp.Reply::text).containsExactly("200\n", "Hello, World!\n");
            assertThat(started(replies.get(1))).as("the second starts once the first is answered")
                    .isGreaterThanOrEqualTo(finished(replies.get(0)));
        }
    }

    @Test
    void aHundredPipelinedRequestsInOneWriteAreAllAnsweredInOrder() throws Exception {
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 100; i++) requests.append("GET /fib/").append(i % 20).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
        try (RawHttp http = new RawHttp(address)) {
            http.send(requests.toString());
            List<RawHttp.Reply> replies = http.read(100);
            long[] fib = new long[20];
            fib[1] = 1;
            for (int i = 2; i < 20; i++) fib[i] = fib[i - 1] + fib[i - 2];
            for (int i = 0; i < 100; i++) assertThat(replies.get(i).text()).isEqualTo(fib[i % 20] + "\n");
        }
    }

    @Test
    void aSlowReaderGetsItsWholeResponseWhileOthersAreServed() throws Exception {
        // 8 MiB is more than the server's send buffer (at most 4 MiB here) and the client's receive buffer
        // (8 KiB) can hold together: the server must write part, keep the rest, and come back on OP_WRITE.
        byte[] body = new byte[8 * 1024 * 1024];
        new Random(42).nextBytes(body);
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(8 * 1024);
            slow.connect(address, 10_000);
            slow.setSoTimeout(30_000);
            OutputStream out = slow.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();

            // While the slow client reads nothing, the loop is not stuck in a write: others are served.
            for (int i = 0; i < 3; i++) assertThat(RawHttp.get(address, "/").status()).isEqualTo(200);

            InputStream in = slow.getInputStream();
            Head head = readHead(in);
            assertThat(head.status).isEqualTo(200);
            assertThat(head.contentLength).isEqualTo(body.length);
            byte[] received = new byte[body.length];
            int at = 0;
            while (at < received.length) {
                int n = in.read(received, at, Math.min(16 * 1024, received.length - at));
                assertThat(n).isPositive();
                at += n;
                if ((at / (16 * 1024)) % 64 == 0) Thread.sleep(1); // slowly
            }
            assertThat(received).isEqualTo(body);
        }
    }

    @Test
    void aClientThatDoesNotReadCannotMakeTheServerBufferWithoutBound() throws Exception {
        int bodyBytes = 64 * 1024;
        int requests = 512; // 32 MiB of echoes: far more than all the kernel buffers between us
        byte[] head = ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " + bodyBytes + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long total = (long) requests * (head.length + bodyBytes);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(address, 10_000);
            socket.setSoTimeout(30_000);
            AtomicLong sent = new AtomicLong();
            AtomicReference<IOException> failure = new AtomicReference<>();
            Thread writer = Thread.ofPlatform().name("test-writer").daemon().start(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    byte[] body = new byte[bodyBytes];
                    for (int i = 0; i < requests; i++) {
                        ByteBuffer.wrap(body).putInt(i); // each echo says which request it answers
                        out.write(head);
                        out.write(body);
                        sent.addAndGet(head.length + bodyBytes);
                    }
                } catch (IOException e) {
                    failure.set(e);
                }
            });
            try {
                // Wait until the writer stops making progress: the server stopped reading, TCP pushed back. (A
                // writer that the machine's load pauses only ends the wait sooner: the count below stays true.)
                long before = -1;
                for (int i = 0; i < 120 && sent.get() != before && sent.get() < total; i++) {
                    before = sent.get();
                    Thread.sleep(250);
                }
                assertThat(sent.get()).as("bytes the client managed to send while reading nothing").isLessThan(total);

                InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
                for (int i = 0; i < requests; i++) {
                    Head h = readHead(in);
                    assertThat(h.status).isEqualTo(200);
                    byte[] echo = in.readNBytes((int) h.contentLength);
                    assertThat(echo).hasSize(bodyBytes);
                    assertThat(ByteBuffer.wrap(echo).getInt()).as("responses in request order").isEqualTo(i);
                }
                writer.join(30_000);
                assertThat(failure.get()).isNull();
                assertThat(sent.get()).isEqualTo(total);
            } finally {
                socket.close();
                writer.join(10_000);
            }
        }
    }

    @Test
    void aClientLeavingMidRequestDoesNotDisturbTheOthers() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(address, 10_000);
            s.getOutputStream().write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nonly a little".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(Servers.eventually(Duration.ofSeconds(10), () -> server.openConnections() == 1)).isTrue();
        }
        assertThat(Servers.eventually(Duration.ofSeconds(10), () -> server.openConnections() == 0))
                .as("the abandoned connection is closed").isTrue();
        assertThat(RawHttp.get(address, "/fib/10").text()).isEqualTo("55\n");
    }

    @Test
    void aClientResettingMidResponseDoesNotDisturbTheOthers() throws Exception {
        byte[] body = new byte[8 * 1024 * 1024];
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(8 * 1024);
            s.connect(address, 10_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            assertThat(readHead(s.getInputStream()).status).isEqualTo(200);
            assertThat(s.getInputStream().readNBytes(1000)).hasSize(1000);
            s.setSoLinger(true, 0); // close with a reset, mid-body
        }
        assertThat(Servers.eventually(Duration.ofSeconds(10), () -> server.openConnections() == 0))
                .as("the server noticed and closed its side").isTrue();
        assertThat(RawHttp.get(address, "/fib/10").text()).isEqualTo("55\n");
    }

    @Test
    void aClientLeavingDuringAWaitDoesNotDisturbTheOthers() throws Exception {
        try (RawHttp leaving = new RawHttp(address); RawHttp resetting = new RawHttp(address)) {
            leaving.send("GET /sleep/200 HTTP/1.1\r\nHost: t\r\n\r\n");
            resetting.send("GET /sleep/200 HTTP/1.1\r\nHost: t\r\n\r\n");
            resetting.socket().setSoLinger(true, 0);
        }
        assertThat(Servers.eventually(Duration.ofSeconds(10), () -> server.openConnections() == 0))
                .as("both connections are closed once their answers find nobody").isTrue();
        assertThat(RawHttp.get(address, "/sleep/10").text()).isEqualTo("10\n");
    }

    private record Head(int status, long contentLength) {
    }

    /** Reads a status line and headers, byte by byte so the body stays in the stream. */
    private static Head readHead(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) throw new IOException("closed inside the head");
            bytes.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = bytes.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        long length = -1;
        for (String line : lines) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) length = Long.parseLong(line.substring(15).trim());
        }
        return new Head(status, length);
    }
}
