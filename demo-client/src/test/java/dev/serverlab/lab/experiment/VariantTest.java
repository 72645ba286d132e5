package dev.serverlab.lab.experiment;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The line-up comes from what engines declare; engines are stand-ins here, nothing is started. */
class VariantTest {

    private static final Variant.Counts COUNTS = new Variant.Counts(4, 1, 2);

    private static ServerEngine engine(String name, EngineOption... options) {
        return new ServerEngine() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String description() {
                return name;
            }

            @Override
            public List<EngineOption> options() {
                return List.of(options);
            }

            @Override
            public RunningServer start(EngineConfig config, Application application) {
                throw new UnsupportedOperationException("not started in this test");
            }
        };
    }

    private static final EngineOption WORKERS = EngineOption.workers("workers");
    private static final EngineOption GIL = new EngineOption("gil", EngineOption.Kind.FLAG, "gil");
    private static final EngineOption OFFLOAD = new EngineOption("offload", EngineOption.Kind.COUNT, "offload");
    private static final EngineOption LOOPS = new EngineOption("loops", EngineOption.Kind.COUNT, "loops");

    @Test
    void theLessonsComeFromDeclaredOptions() {
        List<Variant> all = Variant.all(List.of(
                engine("blocking"), engine("threadpool", WORKERS, GIL), engine("virtual", GIL),
                engine("nio", OFFLOAD, LOOPS), engine("mystery")), COUNTS);
        assertThat(all).extracting(Variant::label).containsExactly(
                "blocking", "threadpool", "threadpool+gil", "virtual", "virtual+gil", "nio", "nio+offload", "mystery");
        assertThat(all.stream().filter(Variant::lesson)).extracting(Variant::label).containsExactly(
                "blocking", "threadpool", "threadpool+gil", "virtual", "nio", "nio+offload", "mystery");

        Variant gil = all.get(2);
        assertThat(gil.serveArgs()).containsExactly("--workers", "4", "--gil");
        assertThat(gil.model()).isEqualTo(Model.pool(4).withGil());
        Variant offload = all.get(6);
        assertThat(offload.serveArgs()).containsExactly("--loops", "1", "--offload", "2");
        assertThat(offload.model()).isEqualTo(Model.eventLoop(1, 2));
        assertThat(all.get(7).model().kind()).isEqualTo(Model.Kind.UNKNOWN);
    }

    @Test
    void anUnknownEngineWithAPoolOptionIsAPool() {
        List<Variant> all = Variant.all(List.of(engine("forked", WORKERS)), COUNTS);
        assertThat(all).singleElement().satisfies(v -> {
            assertThat(v.model()).isEqualTo(Model.pool(4));
            assertThat(v.serveArgs()).containsExactly("--workers", "4");
        });
    }

    @Test
    void anEventLoopThatCannotBeToldItsLoopsHasAnUnknownCpuIdeal() {
        Variant v = Variant.all(List.of(engine("loopy", OFFLOAD)), COUNTS).get(0);
        assertThat(v.serveArgs()).isEmpty();
        assertThat(v.model().cpuSlots()).isZero();
        assertThat(v.model().ioSlots()).isEqualTo(Model.EVERY);
    }
}
