package dev.serverlab.lab.load;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Response;
import dev.serverlab.blocking.BlockingEngine;
import dev.serverlab.lab.ExitCode;
import dev.serverlab.lab.Lab;
import dev.serverlab.nio.NioEngine;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The load generator against real engines on loopback; the margins are wide, since the machine is shared. */
class LoadGeneratorTest {

    /** An event loop serves every connection at once: the counting test can use several, on both threads. */
    private static ServerEngine unbounded() {
        return new NioEngine();
    }

    /** A serial engine: one request at a time, so its capacity is exactly one over the time a request takes. */
    private static ServerEngine serial() {
        return new BlockingEngine();
    }

    private static final int CONNECTIONS = 8;

    @Test
    void everyRequestSentIsOneTheServerServedAndAnswered() throws Exception {
        AtomicLong served = new AtomicLong();
        Application counting = request -> {
            served.incrementAndGet();
            return Application.experiment().handle(request);
        };
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), counting)) {
            LoadGenerator.Plan plan = new LoadGenerator.Plan(Target.of(server.address(), "/"), CONNECTIONS, 2,
                    Duration.ofMillis(300), Duration.ofSeconds(1), 0, Duration.ofSeconds(10));
            LoadGenerator.Result r = LoadGenerator.run(plan, (elapsed, warmingUp, rate, errors) -> { });

            assertThat(r.errors().total()).isZero();
            assertThat(r.unfinished()).isZero();
            assertThat(r.responses()).isPositive();
            assertThat(r.totalAnswered()).isEqualTo(r.totalSent()).isGreaterThan(r.responses());
            assertThat(served.get()).isEqualTo(r.totalSent());
            assertThat(r.latency().getTotalCount()).isGreaterThanOrEqualTo(r.responses());
            assertOrdered(r.latency());
            assertThat(r.requestsPerSecond()).isEqualTo(r.responses() / r.seconds());
        }
    }

    @Test
    void theOpenLoopChargesQueueingToTheServer() throws Exception {
        // 20 ms per request on a serial engine: at most 50 requests per second.
        Application slow = request -> Reply.sleep(Duration.ofMillis(20), () -> Reply.of(Response.ok("slow\n")));
        try (RunningServer server = serial().start(EngineConfig.ephemeral(), slow)) {
            Target target = Target.of(server.address(), "/");

            // Twice its capacity: each request waits for all the late ones before it.
            LoadGenerator.Result over = LoadGenerator.run(new LoadGenerator.Plan(target, 1, 1, Duration.ZERO,
                    Duration.ofSeconds(2), 100, Duration.ofSeconds(10)), (e, w, r, x) -> { });
            assertThat(over.errors().total()).isZero();
            assertThat(over.requestsPerSecond()).isLessThan(80);
            long serviceP50 = over.serviceTime().getValueAtPercentile(50);
            long latencyP50 = over.latency().getValueAtPercentile(50);
            assertThat(serviceP50).isBetween(15_000L, 200_000L);
            // Behind by 10 ms more with each request: about 0.5 s at the median, 1 s at the end.
            assertThat(latencyP50).isGreaterThan(300_000L).isGreaterThan(3 * serviceP50);
            assertThat(over.latency().getMaxValue()).isGreaterThan(600_000L);
            assertOrdered(over.latency());

            // Within its capacity, latency is the service time.
            LoadGenerator.Result under = LoadGenerator.run(new LoadGenerator.Plan(target, 1, 1, Duration.ZERO,
                    Duration.ofSeconds(1), 10, Duration.ofSeconds(10)), (e, w, r, x) -> { });
            assertThat(under.errors().total()).isZero();
            assertThat(under.responses()).isBetween(5L, 11L);
            assertThat(under.latency().getValueAtPercentile(50)).isLessThan(200_000L);
        }
    }

    @Test
    void jsonHasTheDocumentedFields() throws Exception {
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), Application.experiment())) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            var cli = Lab.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            int code = cli.execute("bench", "--url", "http://127.0.0.1:" + server.address().getPort() + "/", "-c", "4",
                    "-d", "500ms", "-w", "0", "--json", "--quiet");
            assertThat(code).as(err.toString()).isZero();
            String json = out.toString().strip();
            assertThat(json).startsWith("{").endsWith("}");
            for (String field : new String[] {"url", "engine", "mode", "rate", "connections", "threads", "warmupSeconds",
                    "durationSeconds", "requests", "requestsPerSecond", "latencyMicros", "serviceTimeMicros", "p50", "p90",
                    "p99", "p999", "max", "mean", "errors", "connect", "timeout", "reset", "non2xx", "protocol", "total",
                    "totalSent", "totalAnswered", "unfinished"}) {
                assertThat(json).contains("\"" + field + "\":");
            }
            assertThat(json).contains("\"mode\":\"closed\"", "\"rate\":null", "\"connections\":4", "\"total\":0");
        }
    }

    @Test
    void aServerThatIsNotThereIsAClearError() {
        StringWriter err = new StringWriter();
        var cli = Lab.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        // Port 1 on loopback: nothing listens there unprivileged, and the connect is refused at once.
        int code = cli.execute("bench", "--url", "http://127.0.0.1:1/", "-c", "2", "-d", "300ms", "-w", "0", "--quiet");
        assertThat(code).isEqualTo(ExitCode.UNAVAILABLE);
        assertThat(err.toString()).contains("cannot connect to http://127.0.0.1:1/");
    }

    static void assertOrdered(Histogram h) {
        long p50 = h.getValueAtPercentile(50);
        long p90 = h.getValueAtPercentile(90);
        long p99 = h.getValueAtPercentile(99);
        long p999 = h.getValueAtPercentile(99.9);
        assertThat(p50).isLessThanOrEqualTo(p90);
        assertThat(p90).isLessThanOrEqualTo(p99);
        assertThat(p99).isLessThanOrEqualTo(p999);
        assertThat(p999).isLessThanOrEqualTo(h.getMaxValue());
    }
}
