package dev.serverlab.lab.command;

import dev.serverlab.lab.Lab;
import dev.serverlab.lab.UserError;
import dev.serverlab.lab.load.FileLimits;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        String json = run.out().strip();
        assertThat(json).contains("\"engine\":\"blocking", "\"connections\":50", "\"connected\":50", "\"ok\":50",
                "\"total\":0");
        long idle = Long.parseLong(json.replaceAll(".*\"idleRssKiB\":(\\d+).*", "$1"));
        long peak = Long.parseLong(json.replaceAll(".*\"peakRssKiB\":(\\d+).*", "$1"));
        assertThat(idle).isPositive();
        assertThat(peak).isGreaterThanOrEqualTo(idle);
    }

    @Test
    void benchStartsTheEngineInItsOwnJvm() {
        Run run = lab("bench", "--engine", "blocking", "-c", "1", "-d", "500ms", "-w", "200ms", "--quiet");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("(blocking", "1 connections", "closed loop", "req/s", "p99.9", "errors      none");
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
        assertThat(FileLimits.ensure(16).soft()).isNotZero();
    }
}
