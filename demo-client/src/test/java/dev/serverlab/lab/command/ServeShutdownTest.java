package dev.serverlab.lab.command;

import dev.serverlab.api.Engines;
import dev.serverlab.api.conformance.RawHttp;
import dev.serverlab.lab.launch.ServerProcess;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./lab serve} in its own JVM, SIGTERM in the middle of a burst: every connection the server had
 * accepted (its access log says which, by the client's port) gets its answer; a connection it had not
 * accepted yet may be reset, and is never half-answered. Runs for every engine on the class path.
 */
class ServeShutdownTest {

    private static final Pattern ACCEPTED = Pattern.compile("accepted /127\\.0\\.0\\.1:(\\d+)");
    private static final int BURST = 8;

    /** One client's fate: the answer, or the error, and when it came. */
    private record Outcome(RawHttp.Reply reply, IOException error, long atNanos) {
    }

    /** Every engine, or only the one {@code -Dserverlab.only=NAME} names, to run one engine's case many times. */
    static Stream<String> engines() {
        String only = System.getProperty("serverlab.only");
        return Engines.discover().names().stream().filter(n -> only == null || only.equals(n));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sigtermDuringABurstLosesNoAcceptedRequest(String engine) throws Exception {
        ServerProcess server = ServerProcess.start(engine, List.of("--access-log"), List.of(), Duration.ofSeconds(60));
        Map<Integer, Outcome> outcomes = new ConcurrentHashMap<>();
        List<Thread> clients = new ArrayList<>();
        long signalled;
        try {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
            for (int i = 0; i < BURST; i++) {
                RawHttp http = new RawHttp(address, 30_000);
                int port = http.socket().getLocalPort();
                http.send("GET /sleep/300 HTTP/1.1\r\nHost: t\r\n\r\n");
                clients.add(Thread.ofPlatform().name("burst-" + i).start(() -> {
                    try (http) {
                        RawHttp.Reply reply = http.read();
                        outcomes.put(port, new Outcome(reply, null, System.nanoTime()));
                    } catch (IOException e) {
                        outcomes.put(port, new Outcome(null, e, System.nanoTime()));
                    }
                }));
            }
            // Signal once a second connection was accepted: on a serial engine the first is then answered
            // and the second in flight; on the others, the whole burst is in flight.
            awaitAccepted(server, Math.min(2, BURST), Duration.ofSeconds(30));
            signalled = System.nanoTime();
        } finally {
            server.close(); // SIGTERM, then waits for the JVM to exit
        }
        for (Thread client : clients) assertThat(client.join(Duration.ofSeconds(30))).as(client.getName() + " finished").isTrue();

        List<String> output = server.output();
        assertThat(output).as("the shutdown hook ran to its end").anyMatch(line -> line.contains("stopped"));
        Set<Integer> accepted = acceptedPorts(output);
        assertThat(accepted).as("connections the server accepted").isNotEmpty();
        for (int port : accepted) {
            Outcome outcome = outcomes.get(port);
            assertThat(outcome).as("the client on port " + port + " finished").isNotNull();
            assertThat(outcome.reply()).as("an accepted request is answered (client port " + port + ", error: " + outcome.error()
                    + "); the server said:\n" + String.join("\n", output)).isNotNull();
            assertThat(outcome.reply().text()).isEqualTo("300\n");
        }
        for (var entry : outcomes.entrySet()) {
            if (entry.getValue().reply() != null) {
                assertThat(entry.getValue().reply().header("X-Served-By")).as("an answer says who served it").matches("\\d+/.+");
                assertThat(accepted).as("every answered connection appears in the access log; the server said:\n"
                        + String.join("\n", output)).contains(entry.getKey());
            }
        }
        long longAfterSignal = outcomes.values().stream().filter(o -> o.reply() != null && o.atNanos() > signalled).count();
        assertThat(longAfterSignal).as("requests were in flight when the signal came, and were answered after it").isPositive();
    }

    private static void awaitAccepted(ServerProcess server, int count, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (acceptedPorts(server.output()).size() < count) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the server did not accept " + count + " connections within " + patience.toSeconds()
                        + " s; its output:\n" + server.lastOutput());
            }
            Thread.sleep(5);
        }
    }

    private static Set<Integer> acceptedPorts(List<String> output) {
        Set<Integer> ports = new TreeSet<>();
        for (String line : output) {
            Matcher m = ACCEPTED.matcher(line);
            if (m.find()) ports.add(Integer.parseInt(m.group(1)));
        }
        return ports;
    }
}
