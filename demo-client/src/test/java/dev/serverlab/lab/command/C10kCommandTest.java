package dev.serverlab.lab.command;

import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.Lab;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.load.FileLimits;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withinPercentage;

/** ./lab c10k and ./lab bench as a user runs them: the engine in its own JVM, the report on stdout. */
class C10kCommandTest {

    private record Run(int code, String out, String err) {
    }

    private static Run lab(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Lab.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void c10kStartsTheEngineInItsOwnJvmAndMeasuresItsMemory() {
        Run run = lab("c10k", "--engine", "blocking", "-c", "50", "--path", "/sleep/1", "--timeout", "60s", "--json");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode json = JsonMapper.shared().readTree(run.out());
        assertThat(json.get("format").asString()).isEqualTo("serverlab-c10k/1");
        assertThat(json.at("/machine/cores").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(json.at("/settings/timeout").asString()).isEqualTo("60s");
        assertThat(json.get("engine").asString()).startsWith("blocking");
        assertThat(json.get("connections").asInt()).isEqualTo(50);
        assertThat(json.get("connected").asInt()).isEqualTo(50);
        assertThat(json.get("ok").asInt()).isEqualTo(50);
        assertThat(json.at("/failures/total").asInt()).isZero();
        assertThat(json.at("/latencyMicros/count").asLong()).isEqualTo(50);
        long idle = json.get("idleRssKiB").asLong();
        assertThat(idle).isPositive();
        assertThat(json.get("peakRssKiB").asLong()).isGreaterThanOrEqualTo(idle);
    }

    @Test
    void benchStartsTheEngineInItsOwnJvmAndMeasuresItsCpu() {
        // Three seconds, not one: under stress-ng beside a load of 15, a one-second window once counted no request.
        Run run = lab("bench", "--engine", "blocking", "-c", "1", "-d", "3s", "-w", "200ms", "--json", "--quiet");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode json = JsonMapper.shared().readTree(run.out());
        assertThat(json.get("engine").asString()).startsWith("blocking");
        assertThat(json.at("/errors/total").asLong()).isZero();
        // A server that answered thousands of requests in a second used CPU time to do it.
        assertThat(json.get("requests").asLong()).isPositive();
        assertThat(json.get("serverCpuSeconds").asDouble()).isPositive();
        assertThat(json.get("serverCpuMicrosPerRequest").asDouble())
                .isCloseTo(json.get("serverCpuSeconds").asDouble() * 1e6 / json.get("requests").asLong(), withinPercentage(1e-9));
    }

    @Test
    void optionsThatDoNotApplyAreUsageErrors() {
        Run port = lab("bench", "--engine", "blocking", "--port", "8080");
        assertThat(port.code()).isEqualTo(ExitCode.USAGE);
        assertThat(port.err()).contains("--port does not apply with --engine");
        Run host = lab("c10k", "--engine", "blocking", "--host", "0.0.0.0");
        assertThat(host.code()).isEqualTo(ExitCode.USAGE);
        assertThat(host.err()).contains("--host does not apply with --engine");
        Run workers = lab("bench", "--url", "http://127.0.0.1:1/", "--workers", "4");
        assertThat(workers.code()).isEqualTo(ExitCode.USAGE);
        assertThat(workers.err()).contains("--workers configures an engine that bench starts");
        Run gil = lab("c10k", "--url", "http://127.0.0.1:1/", "--gil");
        assertThat(gil.code()).isEqualTo(ExitCode.USAGE);
        assertThat(gil.err()).contains("--gil configures an engine that c10k starts");
        Run pid = lab("bench", "--engine", "blocking", "--server-pid", "1");
        assertThat(pid.code()).isEqualTo(ExitCode.USAGE);
        assertThat(pid.err()).contains("--server-pid applies with --url only");
        Run maxWarmup = lab("bench", "--url", "http://127.0.0.1:1/", "-w", "1s", "--max-warmup", "5s");
        assertThat(maxWarmup.code()).isEqualTo(ExitCode.USAGE);
        assertThat(maxWarmup.err()).contains("--max-warmup applies with --warmup auto only");
        Run noProcess = lab("bench", "--url", "http://127.0.0.1:1/", "--server-pid", Long.toString(Long.MAX_VALUE));
        assertThat(noProcess.code()).isEqualTo(ExitCode.USAGE);
        assertThat(noProcess.err()).contains("no such process");
        Run latency = lab("bench", "--url", "http://127.0.0.1:1/", "--json", "--latency");
        assertThat(latency.code()).isEqualTo(ExitCode.USAGE);
        assertThat(latency.err()).contains("--latency prints text");
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingStarts() {
        assertThat(lab("c10k", "-c", "10").err()).contains("give either --engine NAME");
        assertThat(lab("bench", "--engine", "blocking", "--rate", "-5").err()).contains("--rate takes");
        assertThat(lab("bench", "--url", "http://127.0.0.1:1", "--path", "nope").err()).contains("--path must start with /");
        assertThat(lab("c10k", "--engine", "nosuch", "-c", "10").code()).isNotZero();
    }

    @Test
    void aLimitThatCannotBeRaisedComesWithTheFix() {
        // Far beyond any kernel's fs.nr_open: no process may have it, root or not.
        assertThatThrownBy(() -> FileLimits.ensure(2_000_000_000L))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("open files")
                .hasMessageContaining("ulimit -n 2000000000");
        // Linux shows the limit in /proc/self/limits: a limit that could not be read (-1) fails here.
        assertThat(FileLimits.ensure(16).soft()).isGreaterThanOrEqualTo(16);
    }
}
