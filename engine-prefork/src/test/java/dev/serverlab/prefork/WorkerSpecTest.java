package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerSpecTest {

    @Test
    void everyLimitSurvivesTheCommandLine() {
        Limits limits = new Limits(100, 200, 3, 4000, Duration.ofMillis(1500), Duration.ofNanos(2_000_001),
                5, Duration.ofSeconds(6), Duration.ofMillis(700));
        EngineConfig config = new EngineConfig("localhost", 8081, 0, limits, java.util.Map.of(), true, EngineConfig.Listen.INHERITED);
        WorkerSpec spec = new WorkerSpec(3, 1234, config, new ApplicationRecipe("com.example.App"));

        WorkerSpec back = WorkerSpec.parse(spec.toArgs().toArray(String[]::new));

        assertThat(back).isEqualTo(spec);
    }

    @Test
    void theCommandRunsTheWorkerWithThisJvmAndClassPath() {
        WorkerSpec spec = new WorkerSpec(1, 1, EngineConfig.ephemeral().withPort(8080), new ApplicationRecipe("experiment"));
        assertThat(spec.command())
                .startsWith(ProcessHandle.current().info().command().orElseThrow())
                .contains(System.getProperty("java.class.path"), PreforkWorker.class.getName(), "port=8080", "listen=BIND")
                // surefire's argLine gives this JVM the option; a worker gets the parent's JVM options of this kind
                .contains("--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void aMissingArgumentIsNamed() {
        assertThatThrownBy(() -> WorkerSpec.parse(new String[] {"index=1"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing argument");
    }
}
