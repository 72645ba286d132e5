package dev.serverlab.prefork;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs after a test class's own {@code @AfterAll} methods (the conformance suite closes its server in
 * one): this JVM must have no child process left. Any that is left is killed by its pid, and the class fails.
 */
final class NoProcessLeftBehind implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        Pids.await(Duration.ofSeconds(5), () -> ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive));
        List<Long> killed = Pids.killChildren();
        assertThat(killed).as("processes left running by %s", context.getDisplayName()).isEmpty();
    }
}
