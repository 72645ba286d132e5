package dev.serverlab.lab.command;

import dev.serverlab.lab.Lab;
import dev.serverlab.lab.console.ExitCode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --accept shared|reuseport}: listed where it applies, an error where it does not or with a bad word. */
class AcceptOptionTest {

    private record Result(int exit, String out, String err) {
    }

    private static Result lab(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Lab.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void enginesListsItForPreforkOnly() {
        Result r = lab("engines");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--accept shared|reuseport");
        assertThat(r.out().lines().filter(l -> l.contains("--accept")).count()).as("only prefork takes it").isEqualTo(1);
    }

    @Test
    void helpDescribesIt() {
        Result r = lab("serve", "--help");
        assertThat(r.out()).contains("--accept=shared|reuseport").contains("SO_REUSEPORT");
    }

    @Test
    void anEngineWithoutItRefusesIt() {
        Result r = lab("serve", "--engine", "blocking", "--accept", "shared");
        assertThat(r.exit()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).contains("does not take --accept");
    }

    @Test
    void aBadWordListsTheChoices() {
        Result r = lab("serve", "--engine", "prefork", "--accept", "fork");
        assertThat(r.exit()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).contains("--accept takes one of shared, reuseport, not 'fork'");
    }
}
