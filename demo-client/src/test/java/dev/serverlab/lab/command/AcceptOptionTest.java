package dev.serverlab.lab.command;

import dev.serverlab.lab.console.ExitCode;
import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

/** {@code --accept shared|reuseport}: listed where it applies, an error where it does not or with a bad word. */
class AcceptOptionTest {

    @Test
    void enginesListsItForPreforkOnly() {
        LabRun r = LabRun.of("engines");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--accept shared|reuseport");
        assertThat(r.out().lines().filter(l -> l.contains("--accept")).count()).as("only prefork takes it").isEqualTo(1);
    }

    @Test
    void helpDescribesIt() {
        LabRun r = LabRun.of("serve", "--help");
        assertThat(r.out()).contains("--accept=shared|reuseport").contains("SO_REUSEPORT");
    }

    @Test
    void anEngineWithoutItRefusesIt() {
        LabRun r = LabRun.of("serve", "--engine", "blocking", "--accept", "shared");
        assertThat(r.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).contains("does not take --accept");
    }

    @Test
    void aBadWordListsTheChoices() {
        LabRun r = LabRun.of("serve", "--engine", "prefork", "--accept", "fork");
        assertThat(r.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err()).contains("--accept takes one of shared, reuseport, not 'fork'");
    }
}
