package dev.serverlab.prefork;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.conformance.RawHttp;
import dev.serverlab.api.server.Listener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real worker JVMs on a real port. Each test ends with no process of ours alive: it checks the pids it
 * saw, and {@link #noProcessLeftBehind} checks that this JVM has no child left at all.
 */
@ExtendWith(NoProcessLeftBehind.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PreforkEngineTest {

    private final List<RunningServer> servers = new ArrayList<>();
    private final Set<Long> seenPids = new TreeSet<>();

    @AfterEach
    void noProcessLeftBehind() throws InterruptedException {
        servers.forEach(RunningServer::close);
        servers.forEach(server -> seenPids.addAll(((Supervisor) server).spawnedPids()));
        List<Long> killed = Pids.killChildren();
        assertThat(killed).as("child processes still running after close()").isEmpty();
        assertThat(Pids.alive(seenPids)).as("workers alive after close() returned").isEmpty();
    }

    private Supervisor start(EngineConfig config, Application application) throws IOException {
        Supervisor server = (Supervisor) new PreforkEngine().start(config, application);
        servers.add(server);
        return server;
    }

    /**
     * proc.py's one accept queue: with every other worker holding a connection, the next connection goes to
     * the one idle worker, and when a worker lets its connection go, it takes the one waiting. With a queue
     * per worker (--accept reuseport) the kernel would hash some of these to a busy worker's queue instead.
     */
    @Test
    void anIdleWorkerAlwaysTakesTheNextConnection() throws Exception {
        // A long idle timeout: a worker holding a quiet connection must not let it go on a slow machine.
        Limits patient = Limits.DEFAULTS.withIdleTimeout(Duration.ofMinutes(2));
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(4).withLimits(patient), Application.experiment());
        List<Long> workers = server.workerPids();
        assertThat(workers).hasSize(4).doesNotContain(ProcessHandle.current().pid());
        assertThat(server.details()).contains("workers=4", "accept=shared", Long.toString(workers.get(0)));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());

        List<RawHttp> held = new ArrayList<>();
        try {
            Set<Long> holding = new TreeSet<>();
            for (int i = 0; i < 4; i++) {
                RawHttp http = new RawHttp(address, 30_000);
                held.add(http);
                // Answered: a worker took it, and holds it (keep-alive) until the client lets go.
                long pid = pid(http.send("GET /fib/1 HTTP/1.1\r\nHost: t\r\n\r\n").read());
                assertThat(holding).as("connection %d went to an idle worker", i + 1).doesNotContain(pid);
                holding.add(pid);
            }
            assertThat(holding).containsExactlyInAnyOrderElementsOf(workers);

            for (int round = 0; round < 4; round++) {
                RawHttp waiting = new RawHttp(address, 30_000).send("GET /fib/2 HTTP/1.1\r\nHost: t\r\n\r\n");
                RawHttp released = held.set(round, waiting);
                long freed = pid(released.send("GET /fib/1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").read());
                released.close();
                assertThat(pid(waiting.read())).as("the waiting connection goes to the worker just freed").isEqualTo(freed);
            }
        } finally {
            for (RawHttp http : held) http.close();
        }

        int port = server.port();
        server.close();
        assertThat(Pids.alive(server.spawnedPids())).as("close() returns when every worker is gone").isEmpty();
        // The port is free again: an ordinary server can take it.
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }

    /** The kit's leak checks count what the workers hold: their sockets and their threads, by pid. */
    @Test
    void theLeakChecksSeeWhatTheWorkersHold() throws Exception {
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(2), Application.experiment());
        var running = WorkerResources.snapshot();
        for (long pid : server.workerPids()) {
            assertThat(running.files()).as("worker %d's descriptors", pid).anyMatch(f -> f.startsWith(pid + ":socket:"));
            assertThat(running.threads()).as("worker %d's threads", pid).anyMatch(t -> t.startsWith(pid + "/"));
        }
        List<Long> workers = server.workerPids();
        server.close();
        var after = WorkerResources.snapshot();
        for (long pid : workers) {
            assertThat(after.files()).noneMatch(f -> f.startsWith(pid + ":"));
            assertThat(after.threads()).noneMatch(t -> t.startsWith(pid + "/"));
        }
    }

    @Test
    void withReuseportEachWorkerBindsItsOwnSocket() throws Exception {
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(2).withOption(PreforkEngine.ACCEPT, PreforkEngine.REUSEPORT),
                Application.experiment());
        assertThat(server.details()).contains("workers=2", "accept=reuseport");
        Set<Long> servedBy = new TreeSet<>();
        for (int i = 0; i < 20; i++) {
            RawHttp.Reply reply = Pids.get(server.port(), "/");
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.text()).isEqualTo("Hello, World!\n");
            assertThat(reply.header("X-Served-By")).startsWith(Pids.servedBy(reply) + "/");
            servedBy.add(Pids.servedBy(reply));
        }
        assertThat(server.workerPids()).containsAll(servedBy);
        int port = server.port();
        server.close();
        assertThat(Pids.alive(server.spawnedPids())).isEmpty();
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }

    private static long pid(RawHttp.Reply reply) {
        assertThat(reply.status()).isEqualTo(200);
        return Pids.servedBy(reply);
    }

    @Test
    void replacesAWorkerThatDies() throws Exception {
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(2), Application.experiment());
        List<Long> before = server.workerPids();
        long victim = before.get(0);

        ProcessHandle.of(victim).orElseThrow().destroyForcibly();   // SIGKILL, by pid
        assertThat(Pids.await(Duration.ofSeconds(10), () -> !server.workerPids().contains(victim))).isTrue();

        for (int i = 0; i < 20; i++) {
            RawHttp.Reply reply = Pids.get(server.port(), "/fib/10");
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.text()).isEqualTo("55\n");
            assertThat(Pids.servedBy(reply)).isNotEqualTo(victim);
        }
        assertThat(Pids.await(Duration.ofSeconds(60), () -> server.workerPids().size() == 2))
                .as("a new worker replaces the dead one: %s", server.details()).isTrue();
        List<Long> after = server.workerPids();
        assertThat(after).doesNotContain(victim).contains(before.get(1));

        server.close();
        assertThat(Pids.alive(after)).isEmpty();
    }

    /**
     * At shutdown a worker closes its inherited listener, and the JDK then points its fds 0, 1 and 2 at
     * /dev/null; what it prints after that, while it drains (its last access-log lines), must still reach
     * the parent's output by the time close() returns.
     */
    @Test
    void whatAWorkerPrintsAfterItsListenerClosedIsHeard() throws Exception {
        ByteArrayOutputStream heard = new ByteArrayOutputStream();
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream capture = new PrintStream(heard, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        RawHttp.Reply reply;
        try {
            Supervisor server = start(EngineConfig.ephemeral().withWorkers(1), new WorkerApps.Late());
            try (RawHttp http = new RawHttp(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 60_000)) {
                http.send("GET /fib/10 HTTP/1.1\r\nHost: t\r\n\r\n");
                assertThat(Pids.await(Duration.ofSeconds(60), () -> heard.toString(StandardCharsets.UTF_8).contains(WorkerApps.Late.IN_FLIGHT)))
                        .as("the worker took the request").isTrue();
                server.close();
                reply = http.read();
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertThat(reply.text()).isEqualTo("55\n");
        assertThat(heard.toString(StandardCharsets.UTF_8))
                .contains(WorkerApps.Late.HEARD + "/dev/null (stdout)", WorkerApps.Late.HEARD + "/dev/null (stderr)");
    }

    @Test
    void eachWorkerCreatesTheApplicationFromItsClass() throws Exception {
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(1), new GreetingApp());
        long worker = server.workerPids().get(0);
        RawHttp.Reply reply = Pids.get(server.port(), "/anything");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("greetings from an app created in " + worker + "\n");
    }

    @Test
    void refusesAnApplicationAWorkerCannotCreate() {
        PreforkEngine engine = new PreforkEngine();
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral(), Application.of(r -> Response.ok("hi"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("lambda")
                .hasMessageContaining("Application.experiment()");
        Application inner = new Application() {
            @Override
            public dev.serverlab.api.app.Reply handle(dev.serverlab.api.app.Request request) {
                return dev.serverlab.api.app.Reply.of(Response.ok("hi"));
            }
        };
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral(), inner))
                .isInstanceOf(ConfigException.class).hasMessageContaining("anonymous");
    }

    @Test
    void acceptTakesSharedOrReuseportAndNothingElse() {
        PreforkEngine engine = new PreforkEngine();
        assertThat(engine.options()).anySatisfy(o -> {
            assertThat(o.name()).isEqualTo("accept");
            assertThat(o.choices()).containsExactly("shared", "reuseport");
        });
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withOption(PreforkEngine.ACCEPT, "fork"), Application.experiment()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--accept takes one of shared, reuseport, not 'fork'");
        assertThatThrownBy(() -> engine.start(EngineConfig.ephemeral().withOption("reuseport", "true"), Application.experiment()))
                .as("the old switch is gone, not silently ignored").isInstanceOf(ConfigException.class);
    }

    @Test
    void reportsAWorkerThatCannotStartWithItsStderr() {
        FailingApp.allowed = true;
        Application app = new FailingApp();
        FailingApp.allowed = false;
        // The message is the evidence that the exit was reported, not the start timeout (that one says so).
        assertThatThrownBy(() -> new PreforkEngine().start(EngineConfig.ephemeral().withWorkers(2), app))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exited with code 2 before it was ready")
                .hasMessageContaining("no database here");
    }

    @Test
    void refusesAPortAnOrdinaryServerHolds() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> new PreforkEngine().start(EngineConfig.ephemeral().withPort(taken.getLocalPort()), Application.experiment()))
                    .isInstanceOf(Listener.PortInUseException.class)
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void refusesAPortAnotherReusePortServerListensOn() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            // What a second prefork server on the same port would look like: SO_REUSEPORT lets it bind.
            taken.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            EngineConfig config = EngineConfig.ephemeral().withPort(taken.getLocalPort());
            assertThatThrownBy(() -> new PreforkEngine().start(config, Application.experiment()))
                    .as("the shared socket does not set SO_REUSEPORT").isInstanceOf(Listener.PortInUseException.class);
            assertThatThrownBy(() -> new PreforkEngine().start(config.withOption(PreforkEngine.ACCEPT, PreforkEngine.REUSEPORT), Application.experiment()))
                    .as("with --accept reuseport, the parent asks the port").isInstanceOf(Listener.PortInUseException.class)
                    .hasMessageContaining("already listening");
        }
    }

    @Test
    void startsOnAPortWhereAnEarlierServerLeftConnectionsInTimeWait() throws Exception {
        int port;
        try (ServerSocket earlier = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), earlier.getLocalPort())) {
            port = earlier.getLocalPort();
            earlier.accept().close();   // the server closes first: its side of the connection waits in TIME_WAIT
            client.getInputStream().read();
        }
        Supervisor server = start(EngineConfig.ephemeral().withPort(port).withWorkers(1), Application.experiment());
        assertThat(Pids.get(port, "/").status()).isEqualTo(200);
        assertThat(server.port()).isEqualTo(port);
    }

    @Test
    void refusesMoreWorkersThanItCanStart() {
        assertThatThrownBy(() -> new PreforkEngine().start(EngineConfig.ephemeral().withWorkers(65), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at most 64");
    }
}
