package dev.serverlab.lab.command;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Ctrl-C (SIGINT, sent by PID) on a running compare stops the server processes it started. */
class CompareInterruptTest {

    @Test
    void sigintStopsEveryServerProcess(@TempDir Path dir) throws Exception {
        // As a terminal delivers Ctrl-C, whatever this JVM inherited: a shell starts a background job with SIGINT
        // ignored, a JVM that inherits that does not install its handler, and the signal would do nothing.
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT"));    // env execs: same PID
        command.addAll(ChildLab.command("compare", "--engines", "blocking", "--workloads", "io", "--sleep", "30s",
                "--clients", "2", "--warmup", "0", "--out", dir.resolve("out").toString()));
        Path log = dir.resolve("compare.log");
        Process compare = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        List<ProcessHandle> servers = new ArrayList<>();
        try {
            // wait for the server JVM, then for the clients' requests to be in flight in it
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (servers.isEmpty() && System.nanoTime() < deadline && compare.isAlive()) {
                servers.addAll(compare.descendants().toList());
                Thread.sleep(100);
            }
            assertThat(servers).as(Files.readString(log)).isNotEmpty();
            Thread.sleep(3000);
            servers.addAll(compare.descendants().filter(p -> !servers.contains(p)).toList());
            assertThat(compare.isAlive()).as("the compare is still waiting for its 30 s answers").isTrue();

            int kill = new ProcessBuilder("kill", "-INT", Long.toString(compare.pid())).start().waitFor();
            assertThat(kill).isZero();

            assertThat(compare.waitFor(40, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
            for (ProcessHandle server : servers) {
                server.onExit().get(10, TimeUnit.SECONDS);
                assertThat(server.isAlive()).as("server pid " + server.pid()).isFalse();
            }
            assertThat(Files.readString(log)).contains("lab: interrupted; stopping the servers");
        } finally {
            stop(compare.toHandle());
            for (ProcessHandle server : servers) stop(server);
        }
    }

    private static void stop(ProcessHandle process) throws IOException {
        if (process.isAlive()) process.destroyForcibly();
    }
}
