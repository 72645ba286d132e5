package dev.serverlab.prefork;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The parent dies by SIGKILL, with no chance to stop anything: its workers must go by themselves. */
@ExtendWith(NoProcessLeftBehind.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ParentDeathTest {

    @Test
    void workersExitWhenTheirParentIsKilled() throws Exception {
        Path stderr = Files.createTempFile("prefork-parent", ".log");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process parent = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), PreforkParent.class.getName(), "2")
                .redirectError(stderr.toFile())
                .start();
        List<Long> workers = List.of();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    String l;
                    // Workers' own stdout passes through the parent's: skip to the parent's report.
                    while ((l = out.readLine()) != null && !l.startsWith("port ")) continue;
                    return l;
                } catch (java.io.IOException e) {
                    return null;
                }
            }).get(90, TimeUnit.SECONDS);
            assertThat(line).as("the parent's report; its stderr: %s", Files.readString(stderr)).startsWith("port ");
            String[] words = line.split(" ");   // port P pids A B
            int port = Integer.parseInt(words[1]);
            workers = Arrays.stream(words, 3, words.length).map(Long::valueOf).toList();
            assertThat(workers).hasSize(2).allMatch(Pids::alive);
            assertThat(Pids.get(port, "/").status()).isEqualTo(200);

            parent.destroyForcibly();   // SIGKILL, by pid: no shutdown hook runs
            assertThat(parent.waitFor(10, TimeUnit.SECONDS)).isTrue();

            List<Long> orphans = workers;
            assertThat(Pids.await(Duration.ofSeconds(20), () -> Pids.alive(orphans).isEmpty()))
                    .as("workers alive 20 s after their parent died: %s", Pids.alive(orphans)).isTrue();
        } finally {
            parent.destroyForcibly();
            for (long pid : Pids.alive(workers)) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            Files.deleteIfExists(stderr);
        }
    }

    /** The parent for the test above: starts prefork, prints its port and worker pids, then waits to be killed. */
    public static final class PreforkParent {
        public static void main(String[] args) throws Exception {
            var server = (Supervisor) new PreforkEngine().start(
                    dev.serverlab.api.EngineConfig.ephemeral().withWorkers(Integer.parseInt(args[0])),
                    dev.serverlab.api.app.Application.experiment());
            StringBuilder line = new StringBuilder("port " + server.port() + " pids");
            for (long pid : server.workerPids()) line.append(' ').append(pid);
            System.out.println(line);
            System.out.flush();
            // Bounded: if the test never kills us (it failed first), leave after a minute, or when it dies.
            CompletableFuture.runAsync(() -> {
                try {
                    System.in.read();
                } catch (java.io.IOException ignored) {
                    // the test is gone
                }
            }).completeOnTimeout(null, 60, TimeUnit.SECONDS).join();
            server.close();
        }
    }
}
