package dev.serverlab.lab.load;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Response;
import dev.serverlab.blocking.BlockingEngine;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.Lab;
import dev.serverlab.nio.NioEngine;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

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
        // The server notes when it serves each request (same JVM, same clock): the window's count comes from it.
        ConcurrentLinkedQueue<Long> servedAt = new ConcurrentLinkedQueue<>();
        Application counting = request -> {
            servedAt.add(System.nanoTime());
            return Application.experiment().handle(request);
        };
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), counting)) {
            LoadGenerator.Plan plan = new LoadGenerator.Plan(Target.of(server.address(), "/"), CONNECTIONS, 2,
                    LoadGenerator.Warmup.fixed(Duration.ofMillis(300)), Duration.ofSeconds(1), 0, Duration.ofSeconds(10));
            LoadGenerator.Result r = LoadGenerator.run(plan, (elapsed, warmingUp, rate, errors) -> { });

            assertThat(r.errors().total()).isZero();
            assertThat(r.unfinished()).isZero();
            assertThat(r.responses()).isPositive();
            assertThat(r.totalAnswered()).isEqualTo(r.totalSent()).isGreaterThan(r.responses());
            assertThat(servedAt).hasSize((int) r.totalSent());
            assertThat(r.latency().getTotalCount()).isGreaterThanOrEqualTo(r.responses());
            assertOrdered(r.latency());
            // The responses counted are the ones the server served in the window, give or take the requests in
            // flight at its two edges (one per connection at each); never more. Fewer, too, when a worker thread
            // wakes late to open its window (it counts from its next turn): on a busy machine (stress-ng beside a
            // load of 15) it missed 3 of 11,380, so below only half is required.
            long windowEnd = r.windowStart() + plan.duration().toNanos();
            long servedInWindow = servedAt.stream().filter(t -> t >= r.windowStart() && t < windowEnd).count();
            assertThat(r.seconds()).isEqualTo(1.0);
            assertThat(r.responses()).isLessThanOrEqualTo(servedInWindow + CONNECTIONS).isGreaterThan(servedInWindow / 2);
            assertThat(r.warmupSeconds()).isEqualTo(0.3);
        }
    }

    @Test
    void aStallIsChargedToEveryRequestThatWasDueDuringIt() throws Exception {
        // One connection at 20 requests per second: request #i is due 50·i ms after the start. The server answers
        // at once, except request #10 (due at 500 ms), which it holds for 500 ms; #11 to #19 fall due meanwhile.
        // Counted from when each was due: #10 500 ms, #11 450 ms, #12 400 ms ... #19 50 ms.
        Duration warmup = Duration.ofMillis(300);
        try (StallingServer server = new StallingServer(10, Duration.ofMillis(500))) {
            LoadGenerator.Plan plan = new LoadGenerator.Plan(Target.of(server.address(), "/"), 1, 1,
                    LoadGenerator.Warmup.fixed(warmup), Duration.ofSeconds(2), 20, Duration.ofSeconds(10));
            LoadGenerator.Result r = LoadGenerator.run(plan, (elapsed, warmingUp, rate, errors) -> { });
            assertThat(r.errors().total()).isZero();

            // What each request is charged, bracketed by the server's record (same JVM, same clock) and the
            // schedule: a fixed warm-up opens the window exactly that long after the start. One connection, so
            // request #i goes out after answer #i-1 was read, and #i+1 after answer #i. A request whose due time
            // came before answer #i-1 was written queued behind it: charged from when it was due. Any other is
            // charged from its send, which lies after its due time and answer #i-1, and before the server read it.
            // So each charge lies between a least and a most the server's timestamps give, whatever the load.
            long start = r.windowStart() - warmup.toNanos();
            List<Long> receivedAt = server.receivedAt();
            List<Long> answeredAt = server.answeredAt();
            Histogram least = new Histogram(3);
            Histogram most = new Histogram(3);
            for (int i = 0; i < answeredAt.size(); i++) {
                long due = start + i * 50_000_000L;
                long previousAnswer = i > 0 ? answeredAt.get(i - 1) : Long.MIN_VALUE;
                boolean queued = previousAnswer >= due;
                long from = queued ? due : Math.max(due, previousAnswer);
                // Surely measured: answer #i-1 came after the window opened. Possibly: #i was read before #i+1 went out.
                if (previousAnswer >= r.windowStart()) least.recordValue(Math.max(0, answeredAt.get(i) - (queued ? due : receivedAt.get(i))) / 1000);
                boolean last = i + 1 == receivedAt.size();
                if (last || receivedAt.get(i + 1) >= r.windowStart()) most.recordValue(last ? 10_000_000 : Math.max(0, receivedAt.get(i + 1) - from) / 1000);
            }
            // The stall put #10 to #19 at 500 down to 50 ms; the machine may add more, never fewer.
            assertThat(least.getCountBetweenValues(475_000, 10_000_000)).isGreaterThanOrEqualTo(1);
            assertThat(least.getCountBetweenValues(225_000, 10_000_000)).isGreaterThanOrEqualTo(6);
            assertThat(least.getCountBetweenValues(75_000, 10_000_000)).isGreaterThanOrEqualTo(9);
            // The generator charged those: thresholds far from any step, so on a quiet machine least and most agree.
            for (long threshold : new long[] {475_000, 225_000, 75_000}) {
                assertThat(r.latency().getCountBetweenValues(threshold, 10_000_000)).as("latencies over %d us", threshold)
                        .isBetween(least.getCountBetweenValues(threshold, 10_000_000), most.getCountBetweenValues(threshold, 10_000_000));
            }
            // Counted from the actual send, the requests that queued behind the held one look fast: the coordinated
            // omission the correction undoes.
            assertThat(r.serviceTime().getCountBetweenValues(225_000, 10_000_000)).isLessThan(least.getCountBetweenValues(225_000, 10_000_000));
        }
    }

    @Test
    void theWarmUpEndsWhenThreeSecondsAgreeWithinFivePercent() {
        assertThat(LoadGenerator.steady(List.of(100.0, 100.0))).as("too few seconds").isFalse();
        assertThat(LoadGenerator.steady(List.of(50.0, 100.0, 102.0, 104.0))).as("spread 4, mean 102").isTrue();
        assertThat(LoadGenerator.steady(List.of(100.0, 95.0, 100.0, 106.0))).as("spread 11, mean 100.3").isFalse();
        assertThat(LoadGenerator.steady(List.of(0.0, 0.0, 0.0))).as("a server that never answers is steady too").isTrue();
    }

    @Test
    void anAutomaticWarmUpWaitsForTheRateToSettle() throws Exception {
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), Application.experiment())) {
            LoadGenerator.Plan plan = new LoadGenerator.Plan(Target.of(server.address(), "/"), 2, 1,
                    LoadGenerator.Warmup.untilSteady(Duration.ofSeconds(1), Duration.ofSeconds(6)), Duration.ofMillis(300), 0,
                    Duration.ofSeconds(10));
            List<Double> warmRates = new ArrayList<>();
            LoadGenerator.Result r = LoadGenerator.run(plan, (elapsed, warmingUp, rate, errors) -> {
                if (warmingUp) warmRates.add(rate);
            });
            // It needs three one-second rates to call the rate steady, and it stops at the first second that does.
            assertThat(r.warmupSeconds()).isGreaterThanOrEqualTo(3.0);
            assertThat(warmRates).hasSizeGreaterThanOrEqualTo(3);
            for (int n = 3; n < warmRates.size(); n++) {
                assertThat(LoadGenerator.steady(warmRates.subList(0, n))).as("steady after %d s, yet it went on", n).isFalse();
            }
            if (r.warmupSteady()) {
                assertThat(LoadGenerator.steady(warmRates)).isTrue();
            } else {
                assertThat(r.warmupSeconds()).as("not steady: it warmed up to its limit").isGreaterThanOrEqualTo(6.0);
            }
            assertThat(r.responses()).isPositive();
        }
    }

    @Test
    void theOpenLoopChargesQueueingToTheServer() throws Exception {
        // 20 ms per request on a serial engine: at most 50 requests per second.
        Application slow = request -> Reply.sleep(Duration.ofMillis(20), () -> Reply.of(Response.ok("slow\n")));
        try (RunningServer server = serial().start(EngineConfig.ephemeral(), slow)) {
            Target target = Target.of(server.address(), "/");

            // Twice its capacity: each request waits for all the late ones before it.
            LoadGenerator.Result over = LoadGenerator.run(new LoadGenerator.Plan(target, 1, 1, LoadGenerator.Warmup.fixed(Duration.ZERO),
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

            // Within its capacity, nothing queues: the median latency is far below the overloaded run's, which
            // grows with every late request (a busy machine lengthens both, the overloaded one the more).
            LoadGenerator.Result under = LoadGenerator.run(new LoadGenerator.Plan(target, 1, 1, LoadGenerator.Warmup.fixed(Duration.ZERO),
                    Duration.ofSeconds(1), 10, Duration.ofSeconds(10)), (e, w, r, x) -> { });
            assertThat(under.errors().total()).isZero();
            assertThat(under.responses()).isBetween(5L, 11L);
            assertThat(under.latency().getValueAtPercentile(50)).isLessThan(latencyP50 / 2);
        }
    }

    @Test
    void jsonSaysWhereWhenAndHowItWasMeasured() throws Exception {
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), Application.experiment())) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            var cli = Lab.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            int code = cli.execute("bench", "--url", "http://127.0.0.1:" + server.address().getPort() + "/", "-c", "4",
                    "-d", "500ms", "-w", "0", "--json", "--quiet");
            assertThat(code).as(err.toString()).isZero();
            assertThat(out.toString().strip()).doesNotContain("\n");   // one object on one line, for scripts
            JsonNode json = JsonMapper.shared().readTree(out.toString());

            assertThat(json.get("format").asString()).isEqualTo("serverlab-bench/1");
            assertThat(Instant.parse(json.get("date").asString())).isBefore(Instant.now().plusSeconds(1));
            assertThat(json.at("/java/version").asString()).isEqualTo(System.getProperty("java.version"));
            assertThat(json.at("/machine/cores").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
            assertThat(json.at("/machine/memoryBytes").asLong()).isPositive();
            assertThat(json.at("/machine/kernel").asString()).isEqualTo(System.getProperty("os.version"));
            assertThat(json.at("/settings/mode").asString()).isEqualTo("closed");
            assertThat(json.at("/settings/rate").isNull()).isTrue();
            assertThat(json.at("/settings/connections").asInt()).isEqualTo(4);
            assertThat(json.at("/settings/warmup").asString()).isEqualTo("0");
            assertThat(json.at("/settings/durationSeconds").asDouble()).isEqualTo(0.5);
            assertThat(json.at("/settings/timeoutSeconds").asDouble()).isEqualTo(5.0);
            assertThat(json.at("/settings/path").asString()).isEqualTo("/");
            assertThat(json.get("errors").get("total").asLong()).isZero();
            assertThat(json.get("requests").asLong()).isPositive();
            // Not rounded: requests over the window's length, to the last digit the double holds.
            assertThat(json.get("requestsPerSecond").asDouble()).isEqualTo(json.get("requests").asLong() / 0.5);
            JsonNode latency = json.get("latencyMicros");
            for (String f : new String[] {"count", "min", "p50", "p75", "p90", "p99", "p999", "p9999", "max", "mean", "stddev"}) {
                assertThat(latency.has(f)).as(f).isTrue();
            }
            assertThat(latency.get("count").asLong()).isGreaterThanOrEqualTo(json.get("requests").asLong());
            // An in-process server under --url with no --server-pid: its CPU is not known, and the JSON says so.
            assertThat(json.get("serverCpuMicrosPerRequest").isNull()).isTrue();
        }
    }

    @Test
    void latencyPrintsTheSpectrumAndHlogWritesAHistogramLog(@TempDir Path dir) throws Exception {
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), Application.experiment())) {
            StringWriter out = new StringWriter();
            var cli = Lab.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(new StringWriter()));
            Path log = dir.resolve("bench.hlog");
            int code = cli.execute("bench", "--url", "http://127.0.0.1:" + server.address().getPort() + "/", "-c", "2",
                    "-d", "300ms", "-w", "0", "--quiet", "--latency", "--hlog", log.toString());
            assertThat(code).isZero();
            assertThat(out.toString()).containsPattern("Value +Percentile +TotalCount 1/\\(1-Percentile\\)")
                    .contains("#[Mean    =", "#[Max     =", "#[Buckets =");

            HistogramLogReader reader = new HistogramLogReader(log.toFile());
            Histogram read = (Histogram) reader.nextIntervalHistogram();
            assertThat(read).isNotNull();
            long answered = Long.parseLong(out.toString().replaceAll("(?s).*requests +([\\d,]+) in.*", "$1").replace(",", ""));
            assertThat(read.getTotalCount()).isGreaterThanOrEqualTo(answered).isPositive();
            assertThat(reader.nextIntervalHistogram()).isNull();
        }
    }

    @Test
    void failedRequestsMakeANonZeroExit() throws Exception {
        try (RunningServer server = unbounded().start(EngineConfig.ephemeral(), Application.experiment())) {
            StringWriter err = new StringWriter();
            var cli = Lab.commandLine();
            cli.setOut(new PrintWriter(new StringWriter()));
            cli.setErr(new PrintWriter(err));
            // Every answer is a 404: a run of non-2xx answers is a failed run.
            int code = cli.execute("bench", "--url", "http://127.0.0.1:" + server.address().getPort() + "/no/such/route",
                    "-c", "1", "-d", "200ms", "-w", "0");
            assertThat(code).isEqualTo(ExitCode.FAILED);
            assertThat(err.toString()).contains("requests failed or went unanswered");
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
