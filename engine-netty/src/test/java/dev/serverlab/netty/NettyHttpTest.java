package dev.serverlab.netty;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Which Netty transport the engine runs on, and what it asks of the kernel's sockets: the kit does not ask this of every engine. */
class NettyHttpTest {

    @Test
    void detailsNameTheTransport() throws IOException {
        try (RunningServer server = new NettyEngine().start(EngineConfig.ephemeral(), Application.experiment())) {
            assertThat(server.details()).matches("transport=(epoll|nio) loops=\\d+ offload=off");
        }
    }

    @Test
    void epollLoadsOnThisLinuxMachine() {
        // The native library ships in the build for linux-x86_64; NIO is only the fallback elsewhere.
        assertThat(NettyEngine.Transport.best().name()).as(NettyEngine.Transport.best().why()).isEqualTo("epoll");
    }

    /**
     * A client pipelines 20,000 requests (some 6 MB of answers) and reads none. Linux would grow the server's
     * send buffer to tcp_wmem's maximum (4 MiB by default) and let the engine answer some 12,000 of them into
     * it; capped, the kernel holds about Netty's high-water mark, and the engine stops there. The evidence is
     * the kernel's own count of the bytes queued on the server's side ({@code tx_queue} in /proc/net/tcp6),
     * read once it has stopped growing. A load that stalls the server longer than a poll's patience could
     * only make the count smaller.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theKernelQueuesLittleForAClientThatNeverReads(String transport) throws Exception {
        NettyEngine engine = new NettyEngine(() -> transport.equals("nio") ? NettyEngine.Transport.nio("test") : NettyEngine.Transport.best());
        EngineConfig config = EngineConfig.ephemeral().withLimits(Limits.DEFAULTS.withIdleTimeout(Duration.ofMinutes(10)));
        try (RunningServer server = engine.start(config, Application.experiment()); Socket client = new Socket()) {
            client.setReceiveBufferSize(16 * 1024);
            client.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
            byte[] requests = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".repeat(20_000).getBytes(StandardCharsets.US_ASCII);
            Thread.ofPlatform().daemon().name("never-reads").start(() -> {
                try {
                    client.getOutputStream().write(requests);
                } catch (IOException closedAtTheEnd) {
                    // the test is over
                }
            });
            long queued = 0;
            for (int sameFor = 0; sameFor < 10; Thread.sleep(50)) {
                long now = queuedOnServerSide(server.port(), client.getLocalPort());
                sameFor = now == queued && now > 0 ? sameFor + 1 : 0;
                queued = now;
            }
            assertThat(queued).as("answers the kernel holds for a client that never reads, in bytes").isBetween(1L, 512L * 1024);
        }
    }

    /** The kernel's {@code tx_queue} of the server's end of the connection: bytes written and not yet acknowledged. */
    private static long queuedOnServerSide(int serverPort, int clientPort) throws IOException {
        String local = String.format(":%04X", serverPort), remote = String.format(":%04X", clientPort);
        for (Path table : List.of(Path.of("/proc/net/tcp6"), Path.of("/proc/net/tcp"))) {
            if (!Files.exists(table)) continue;
            try (Stream<String> lines = Files.lines(table)) {
                for (String line : (Iterable<String>) lines.skip(1)::iterator) {
                    String[] f = line.trim().split("\\s+");
                    if (f[1].endsWith(local) && f[2].endsWith(remote)) return Long.parseLong(f[4].substring(0, f[4].indexOf(':')), 16);
                }
            }
        }
        throw new AssertionError("no socket from port " + serverPort + " to " + clientPort + " in /proc/net/tcp6 or /proc/net/tcp");
    }
}
