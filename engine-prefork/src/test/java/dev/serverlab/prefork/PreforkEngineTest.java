package dev.serverlab.prefork;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.server.Listener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
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
        List<Long> killed = Pids.killChildren();
        assertThat(killed).as("child processes still running after close()").isEmpty();
        assertThat(Pids.await(Duration.ofSeconds(10), () -> Pids.alive(seenPids).isEmpty()))
                .as("workers still alive: %s", Pids.alive(seenPids)).isTrue();
    }

    private Supervisor start(EngineConfig config, Application application) throws IOException {
        Supervisor server = (Supervisor) new PreforkEngine().start(config, application);
        servers.add(server);
        seenPids.addAll(server.workerPids());
        return server;
    }

    @Test
    void spreadsFreshConnectionsOverItsWorkers() throws Exception {
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(4), Application.experiment());
        List<Long> workers = server.workerPids();
        assertThat(workers).hasSize(4).doesNotContain(ProcessHandle.current().pid());
        assertThat(server.details()).contains("workers=4").contains(Long.toString(workers.get(0)));

        Set<Long> servedBy = new TreeSet<>();
        for (int i = 0; i < 40; i++) {
            HttpGet reply = HttpGet.send(server.port(), "/");
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.body()).isEqualTo("Hello, World!\n");
            assertThat(reply.headers().get("x-served-by")).matches("\\d+/prefork-[1-4]");
            servedBy.add(reply.pid());
        }
        assertThat(workers).containsAll(servedBy);
        assertThat(servedBy).as("40 fresh connections over 4 workers").hasSizeGreaterThanOrEqualTo(2);

        int port = server.port();
        server.close();
        assertThat(Pids.alive(workers)).as("close() returns when every worker is gone").isEmpty();
        // The port is free again: an ordinary server (no SO_REUSEPORT) can take it.
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }

    @Test
    void closeLetsTheRequestInFlightFinish() throws Exception {
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(1), Application.experiment());
        CompletableFuture<HttpGet> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return HttpGet.send(server.port(), "/sleep/3000");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(1500);   // an idle worker accepts at once: by now the sleep is well under way
        long started = System.nanoTime();
        server.close();
        HttpGet reply = slow.get(30, TimeUnit.SECONDS);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).isEqualTo("3000\n");
        assertThat(reply.headers().get("connection")).isEqualTo("close");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("close() waited for the drain").isGreaterThan(Duration.ofMillis(300));
    }

    @Test
    void replacesAWorkerThatDies() throws Exception {
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(2), Application.experiment());
        List<Long> before = server.workerPids();
        long victim = before.get(0);

        ProcessHandle.of(victim).orElseThrow().destroyForcibly();   // SIGKILL, by pid
        assertThat(Pids.await(Duration.ofSeconds(10), () -> !server.workerPids().contains(victim))).isTrue();

        for (int i = 0; i < 20; i++) {
            HttpGet reply = HttpGet.send(server.port(), "/fib/10");
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.body()).isEqualTo("55\n");
            assertThat(reply.pid()).isNotEqualTo(victim);
        }
        assertThat(Pids.await(Duration.ofSeconds(60), () -> server.workerPids().size() == 2))
                .as("a new worker replaces the dead one: %s", server.details()).isTrue();
        List<Long> after = server.workerPids();
        seenPids.addAll(after);
        assertThat(after).doesNotContain(victim).contains(before.get(1));

        server.close();
        assertThat(Pids.alive(after)).isEmpty();
    }

    @Test
    void eachWorkerCreatesTheApplicationFromItsClass() throws Exception {
        Supervisor server = start(EngineConfig.ephemeral().withWorkers(1), new GreetingApp());
        long worker = server.workerPids().get(0);
        HttpGet reply = HttpGet.send(server.port(), "/anything");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).isEqualTo("greetings from an app created in " + worker + "\n");
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
    void reportsAWorkerThatCannotStartWithItsStderr() {
        FailingApp.allowed = true;
        Application app = new FailingApp();
        FailingApp.allowed = false;
        long started = System.nanoTime();
        assertThatThrownBy(() -> new PreforkEngine().start(EngineConfig.ephemeral().withWorkers(2), app))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exited with code 2 before it was ready")
                .hasMessageContaining("no database here");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("a failed start is reported at once, not at the timeout")
                .isLessThan(Supervisor.START_TIMEOUT);
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
            assertThatThrownBy(() -> new PreforkEngine().start(EngineConfig.ephemeral().withPort(taken.getLocalPort()), Application.experiment()))
                    .isInstanceOf(Listener.PortInUseException.class)
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
        assertThat(HttpGet.send(port, "/").status()).isEqualTo(200);
        assertThat(server.port()).isEqualTo(port);
    }

    @Test
    void refusesMoreWorkersThanItCanStart() {
        assertThatThrownBy(() -> new PreforkEngine().start(EngineConfig.ephemeral().withWorkers(65), Application.experiment()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at most 64");
    }
}
