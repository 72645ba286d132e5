package dev.serverlab.lab.command;

import dev.serverlab.lab.Lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./lab ARGS} in a child JVM with this JVM's java and class path, plus the test-only engines of
 * {@link TestEngines}. Their registration lives in src/test/fake-engines, not on the test class path, so
 * tests that run "every engine on the class path" never meet them; the child, and the servers it starts
 * (ServerProcess passes its class path on), do.
 */
record ChildLab(int exitCode, String output) {

    static final Path FAKE_ENGINES = Path.of("src", "test", "fake-engines").toAbsolutePath();

    static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path") + java.io.File.pathSeparator + FAKE_ENGINES,
                Lab.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Runs it to the end (killed, with its children, after {@code limit}); stdout and stderr together. */
    static ChildLab run(Path log, Duration limit, String... args) throws IOException, InterruptedException {
        Process lab = new ProcessBuilder(command(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!lab.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("./lab " + String.join(" ", args) + " did not end within " + limit + ":\n" + Files.readString(log));
            }
            return new ChildLab(lab.exitValue(), Files.readString(log));
        } finally {
            lab.descendants().forEach(ProcessHandle::destroyForcibly);
            lab.destroyForcibly();
        }
    }
}
