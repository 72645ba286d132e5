package dev.serverlab.lab;

import dev.serverlab.lab.console.ExitCode;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line as a user meets it: real engines on loopback, real exit codes and messages. */
class LabCliTest {

    record Result(int exit, String out, String err) {
    }

    @Test
    void serverProcessesRunThisMainClass() {
        assertThat(dev.serverlab.lab.launch.ServerProcess.LAB_MAIN).isEqualTo(Lab.class.getName());
    }

    static Result lab(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Lab.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void enginesListsBlocking() {
        Result r = lab("engines");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).containsPattern("(?m)^blocking\\s+naive serial server");
    }

    @Test
    void runAgainstTheBlockingEngineIsSerial() {
        Result r = lab("run", "--engine", "blocking", "--clients", "3", "--path", "/sleep/200");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().lines().filter(l -> l.matches("\\s+\\d+\\s+.*")).toList();
        assertThat(lines).hasSize(3).allSatisfy(l -> assertThat(l).contains(" 200 "));
        Matcher total = Pattern.compile("total (\\d+\\.\\d+) s").matcher(r.out());
        assertThat(total.find()).isTrue();
        // The model is serial: three 200 ms waits cannot take less than 600 ms.
        assertThat(Double.parseDouble(total.group(1))).isGreaterThanOrEqualTo(0.6);
        assertThat(r.out()).contains("1 worker served");
    }

    @Test
    void everyCommandAnswersHelp() {
        for (String command : Lab.commandLine().getSubcommands().keySet()) {
            if (command.equals("help")) continue;
            Result r = lab(command, "--help");
            assertThat(r.exit()).as(command + " --help: " + r.err()).isZero();
            assertThat(r.out()).as(command).contains("Usage: lab " + command);
        }
    }

    @Test
    void helpShowsTheCommandsOwnOptionsThenTheEnginesThenTheExitCodes() {
        String bench = lab("bench", "--help").out();
        // Option lines, not the synopsis at the top, which names every option.
        int own = bench.indexOf("\n  -c, --connections=C");
        int engineHeading = bench.indexOf("\nEngine options");
        int engineOption = bench.indexOf("\n      --workers=N");
        int exitCodes = bench.indexOf("Exit codes:");
        assertThat(own).isPositive();
        assertThat(engineHeading).isGreaterThan(own);
        assertThat(engineOption).isGreaterThan(engineHeading);
        assertThat(exitCodes).isGreaterThan(engineOption);
        assertThat(bench.substring(exitCodes)).containsPattern("1 +a request or a check failed").containsPattern("2 +bad arguments")
                .doesNotContain("./lab found no JDK");

        String root = lab("--help").out();
        assertThat(root.substring(root.indexOf("Exit codes:")))
                .containsPattern("0 +success").containsPattern("3 +the server could not be started or reached")
                .containsPattern("4 +./lab found no JDK 21 or newer").containsPattern("5 +./lab could not build the project");
    }

    @Test
    void versionIsTheProjectsVersion() throws Exception {
        // The build filters serverlab.properties; the expected value comes from the POM this module is built from.
        String pom = java.nio.file.Files.readString(java.nio.file.Path.of("pom.xml"));
        String expected = pom.replaceAll("(?s).*?<parent>.*?<version>([^<]+)</version>.*", "$1");
        Result r = lab("--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("serverlab lab " + expected + "\n");
        assertThat(expected).doesNotContain("$").isNotBlank();
    }

    @Test
    void anUnknownEngineListsTheAvailableOnes() {
        Result r = lab("run", "--engine", "nope");
        assertThat(r.exit()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).contains("no engine named 'nope'").contains("available: ").contains("blocking");
    }

    @Test
    void anOptionTheEngineDoesNotTakeIsAnError() {
        Result r = lab("serve", "--engine", "blocking", "--offload", "2");
        assertThat(r.exit()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).contains("does not take --offload");
    }

    @Test
    void aPortInUseIsReportedWithAFix() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Result r = lab("run", "--engine", "blocking", "--port", Integer.toString(busy.getLocalPort()));
            assertThat(r.exit()).isEqualTo(ExitCode.UNAVAILABLE);
            assertThat(r.err()).contains("cannot listen on 127.0.0.1:" + busy.getLocalPort()).contains("--port");
            assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    @Test
    void anUnreachableServerIsReported() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Result r = lab("run", "--url", "http://127.0.0.1:" + port, "--clients", "2");
        assertThat(r.exit()).isEqualTo(ExitCode.UNAVAILABLE);
        assertThat(r.err()).contains("cannot reach http://127.0.0.1:" + port);
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertThat(lab("run", "--engine", "blocking", "--clients", "x").exit()).isEqualTo(ExitCode.USAGE);
        assertThat(lab("run", "--engine", "blocking", "--clients", "0").exit()).isEqualTo(ExitCode.USAGE);
        assertThat(lab("run", "--engine", "blocking", "--url", "http://127.0.0.1:1").exit()).isEqualTo(ExitCode.USAGE);
        assertThat(lab("run", "--url", "ftp://x").err()).contains("only http://");
        assertThat(lab("serve", "--engine", "blocking", "--port", "70000").err()).contains("port must be from 0 to 65535");
        assertThat(lab("nonsense").exit()).isEqualTo(ExitCode.USAGE);
        Result workers = lab("run", "--url", "http://127.0.0.1:1", "--workers", "4");
        assertThat(workers.exit()).isEqualTo(ExitCode.USAGE);
        assertThat(workers.err()).contains("--workers configures an engine that run starts; it does not apply with --url");
    }
}
