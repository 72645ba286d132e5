package dev.serverlab.api.conformance;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.RawHttp.Reply;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.Gil;
import dev.serverlab.api.server.ThreadServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import static dev.serverlab.api.conformance.Clients.get;
import static dev.serverlab.api.conformance.Clients.inBackground;
import static dev.serverlab.api.conformance.Clients.maxInService;
import static dev.serverlab.api.conformance.Clients.spanMicros;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every engine on the {@link ThreadServer} shell with a pool of threads must show (threadpool,
 * virtual), judged from what the server records: its timing headers, which thread served, the GIL's
 * counters. Nothing here bounds the client's wall clock, so a busy machine makes it slower, not red.
 */
public abstract class ThreadShellSuite {

    private final List<RunningServer> servers = new ArrayList<>();

    protected abstract ServerEngine engine();

    /** The name of the threads that serve, as in {@code X-Served-By} after the pid, such as {@code virtual-\d+}. */
    protected abstract String servingThread();

    @AfterEach
    void stopServers() {
        servers.forEach(RunningServer::close);
    }

    protected ThreadServer start(EngineConfig config) throws IOException {
        return start(config, Application.experiment());
    }

    /** A server of this engine running {@code application} (a {@link ShapeApplication}, say); stopped after the test. */
    protected ThreadServer start(EngineConfig config, Application application) throws IOException {
        RunningServer server = engine().start(config, application);
        servers.add(server);
        return (ThreadServer) server;
    }

    protected ThreadServer startWithGil() throws IOException {
        return start(EngineConfig.ephemeral().withOption("gil", "true"));
    }

    @Test
    void servesTheExperimentOnItsThreads() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        Reply hello = get(server.port(), "/");
        assertThat(hello.status()).isEqualTo(200);
        assertThat(hello.text()).isEqualTo("Hello, World!\n");
        assertThat(hello.servedBy()).matches(Timing.pid() + "/" + servingThread());
        assertThat(get(server.port(), "/fib/10").text()).isEqualTo("55\n");
        assertThat(get(server.port(), "/nope").status()).isEqualTo(404);
        assertThat(get(server.port(), "/fib/x").status()).isEqualTo(400);
        assertThat(server.details()).contains("no gil");
        assertThat(server.cpu()).isNotInstanceOf(Gil.class);
    }

    @Test
    void aKeptConnectionStaysOnOneThread() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        try (RawHttp c = RawHttp.connect(server.port())) {
            c.send(RawHttp.request("/"));
            Reply first = c.read();
            c.send(RawHttp.request("/fib/5"));
            Reply second = c.read();
            assertThat(second.text()).isEqualTo("5\n");
            assertThat(second.servedBy()).isEqualTo(first.servedBy());
        }
    }

    /**
     * The experiment's threaded result: four CPU-bound requests are all in service at once, yet only one
     * computes at a time, and each hands the lock over again and again; so together they are no faster
     * than one after another (the time the lock was held, spent one holder at a time, fits in their span).
     * {@link ShapeApplication}'s {@code /turns} keeps each request computing until all four have entered and it
     * has had the CPU back three times: what the GIL must allow, whatever the machine's load, and what a lock
     * that never hands over cannot (the first holder would give up after 30 s, "alone").
     */
    @Test
    void withTheGilCpuBoundRequestsTakeTurnsOneAtATime() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withOption("gil", "true"), new ShapeApplication());
        Gil gil = (Gil) server.cpu();

        List<Reply> together = sentTogether(server.port(), 4, "/turns/4/24");

        String seen = describe(together) + String.format(", %d hand-overs, held %d ms", gil.switches(), gil.held().toMillis());
        assertThat(together).as(seen).allSatisfy(a -> assertThat(a.text()).isEqualTo("took turns\n"));
        assertThat(maxInService(together)).as("all four in service at once: " + seen).isEqualTo(4);
        assertThat(gil.mostHoldersAtOnce()).as("one computes at a time").isEqualTo(1);
        // Each request got the lock back from another three times or more: a hand-over each time.
        assertThat(gil.switches()).as(seen).isGreaterThanOrEqualTo(4 * 3);
        assertThat(gil.held().toNanos()).as("no faster than serial: " + seen)
                .isLessThanOrEqualTo(spanMicros(together) * 1000 + 2_000_000);   // two clocks: a little slack
    }

    @Test
    void theGilIsNotTakenForASleep() throws Exception {
        ThreadServer server = startWithGil();
        Gil gil = (Gil) server.cpu();
        long before = gil.acquisitions();
        List<Reply> answers = sentTogether(server.port(), 4, "/sleep/300");
        assertThat(answers).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        // A sleep holds no lock, as time.sleep releases Python's: four sleeps are in service at once.
        assertThat(maxInService(answers)).isEqualTo(4);
        assertThat(gil.acquisitions()).isEqualTo(before);
    }

    /** The lock must not change what the server answers (the GIL never reaches the parser: a smoke set). */
    @Test
    void withTheGilTheAnswersAreTheSame() throws Exception {
        ThreadServer server = startWithGil();
        assertThat(get(server.port(), "/").text()).isEqualTo("Hello, World!\n");
        assertThat(get(server.port(), "/fib/10").text()).isEqualTo("55\n");
        assertThat(get(server.port(), "/sleep/1").status()).isEqualTo(200);
        assertThat(get(server.port(), "/nope").status()).isEqualTo(404);
        assertThat(get(server.port(), "/fib/x").status()).isEqualTo(400);
        try (RawHttp c = RawHttp.connect(server.port())) {
            c.send(RawHttp.request("/fib/20"));
            assertThat(c.read().text()).isEqualTo("6765\n");
            c.send(RawHttp.request("/"));
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void theGilShowsInTheDetails() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral().withOption("gil", "true").withOption("switch-interval", "2ms"));
        assertThat(server.details()).contains("gil switch-interval=2ms");
        assertThat(get(server.port(), "/fib/20").text()).isEqualTo("6765\n");
        assertThat(((Gil) server.cpu()).acquisitions()).isPositive();
    }

    /** Four requests waiting ({@link ShapeApplication}'s {@code /wait}) when close() begins, let go after it has. */
    @Test
    void closeLetsInFlightRequestsFinishAndEndsEveryThread() throws Exception {
        ShapeApplication app = new ShapeApplication();
        ThreadServer server = start(EngineConfig.ephemeral(), app);
        Future<List<Reply>> answers = inBackground(server.port(), 4, "/wait");
        awaitValue(server::openConnections, 4);

        Thread closer = Thread.ofPlatform().name("closer").start(server::close);
        awaitRefused(server.port());
        app.release();
        assertThat(closer.join(Duration.ofSeconds(30))).as("close() returned").isTrue();

        assertThat(answers.get(30, TimeUnit.SECONDS)).hasSize(4).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(server.threadsTerminated()).isTrue();
        assertThat(server.openConnections()).isZero();
    }

    /**
     * Four CPU steps taking turns for the GIL ({@link ShapeApplication}'s {@code /hold}, which polls the
     * safepoint): all four inside their step at once, which under the GIL only hand-overs allow. close()
     * begins (the listener is gone) while they still compute, then they are let go: each is answered.
     */
    @Test
    void closeLetsRequestsTakingTurnsForTheGilFinish() throws Exception {
        ShapeApplication app = new ShapeApplication();
        ThreadServer server = start(EngineConfig.ephemeral().withOption("gil", "true"), app);
        Gil gil = (Gil) server.cpu();
        List<RawHttp> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) clients.add(RawHttp.connect(server.port()));
            for (RawHttp c : clients) c.send(RawHttp.lastRequest("/hold"));
            awaitValue(app::holding, 4);

            Thread closer = Thread.ofPlatform().name("closer").start(server::close);
            awaitRefused(server.port());
            app.release();

            for (RawHttp c : clients) assertThat(c.read().text()).isEqualTo("released\n");
            assertThat(closer.join(Duration.ofSeconds(30))).as("close() returned").isTrue();
        } finally {
            for (RawHttp c : clients) c.close();
        }
        assertThat(server.threadsTerminated()).isTrue();
        assertThat(gil.mostHoldersAtOnce()).as("one computes at a time").isEqualTo(1);
        assertThat(gil.switches()).as("hand-overs that let all four in").isGreaterThanOrEqualTo(3);
    }

    @Test
    void closeEndsIdleKeptConnectionsWithoutWaitingForTheIdleTimeout() throws Exception {
        ThreadServer server = start(EngineConfig.ephemeral());
        try (RawHttp idle = RawHttp.connect(server.port())) {
            idle.send(RawHttp.request("/"));
            assertThat(idle.read().status()).isEqualTo(200);
            server.close();   // returns once every thread has ended, which the idle connection held
            assertThat(server.threadsTerminated()).isTrue();
            assertThat(idle.timeout(20_000).closedByServer()).as("well before the 30 s idle timeout").isTrue();
        }
    }

    @Test
    void connectionsBeyondMaxConnectionsWaitInTheBacklog() throws Exception {
        EngineConfig config = EngineConfig.ephemeral().withLimits(EngineConfig.ephemeral().limits().withMaxConnections(2));
        ThreadServer server = start(config);
        RawHttp first = RawHttp.connect(server.port());
        try (RawHttp second = RawHttp.connect(server.port())) {
            first.send(RawHttp.request("/"));
            assertThat(first.read().status()).isEqualTo(200);
            second.send(RawHttp.request("/"));
            assertThat(second.read().status()).isEqualTo(200);
            try (RawHttp third = RawHttp.connect(server.port())) {
                third.send(RawHttp.lastRequest("/"));
                Thread.sleep(300);
                assertThat(server.openConnections()).as("the third is not accepted yet").isEqualTo(2);

                long releasedAt = Timing.nowMicros();
                first.close();
                Reply answer = third.read();
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.acceptedMicros()).as("accepted only once a connection closed").isGreaterThanOrEqualTo(releasedAt);
            }
        } finally {
            first.close();
        }
    }

    /**
     * {@code n} requests that reach the server together whatever the client threads' luck: every connection
     * is opened first, then each request is sent from this one thread (microseconds apart), then the answers
     * are read in turn.
     */
    public static List<Reply> sentTogether(int port, int n, String path) throws IOException {
        List<RawHttp> connections = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) connections.add(RawHttp.connect(port));
            for (RawHttp c : connections) c.send(RawHttp.lastRequest(path));
            List<Reply> answers = new ArrayList<>();
            for (RawHttp c : connections) answers.add(c.read());
            return answers;
        } finally {
            for (RawHttp c : connections) c.close();
        }
    }

    /** The smallest n whose fib takes at least 100 ms in this server (capped at 40). */
    public static int calibrate(int port) throws IOException {
        for (int i = 0; i < 3; i++) get(port, "/fib/22");   // let the JIT compile fib first
        int n = 22;
        while (n < 40 && get(port, "/fib/" + n).serviceMicros() < 100_000) n++;
        return n;
    }

    public static String describe(List<Reply> answers) {
        return String.format("%d in service at once, span %d ms, each %s ms", maxInService(answers), spanMicros(answers) / 1000,
                answers.stream().map(a -> Long.toString(a.serviceMicros() / 1000)).toList());
    }

    public static void awaitValue(IntSupplier value, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (value.getAsInt() != expected) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("expected " + expected + " but was " + value.getAsInt());
            Thread.sleep(5);
        }
    }

    /** Waits until a connection to {@code port} is refused: close() has begun, its listener is closed. */
    public static void awaitRefused(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() - deadline < 0) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            } catch (IOException refused) {
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("still accepting connections 30 s after close() began");
    }

    /**
     * The threads named {@code prefix…} that are still alive after each was given 10 s to end. A pool's
     * {@code awaitTermination} returns once its last task has ended, while the worker thread itself is still
     * leaving the JDK's run loop; joining waits for that moment instead of racing it.
     */
    public static List<String> threadsOutlivingClose(String prefix) throws InterruptedException {
        List<Thread> named = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix)).toList();
        for (Thread t : named) t.join(Duration.ofSeconds(10));
        return named.stream().filter(Thread::isAlive).map(Thread::getName).toList();
    }
}
