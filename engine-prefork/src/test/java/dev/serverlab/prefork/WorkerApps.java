package dev.serverlab.prefork;

import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Applications that misbehave in the worker processes only, to drive the supervisor's failure paths.
 * The test JVM sets {@link #testJvm} so that it can build the instance it passes to the engine; a worker
 * JVM, where it stays false, meets the misbehaviour.
 */
final class WorkerApps {

    static volatile boolean testJvm;

    /** The system property (passed on to workers, as every {@code serverlab.*} one) naming {@link Gated}'s file. */
    static final String GATE = "serverlab.prefork.test.gate";

    private WorkerApps() {
    }

    /** Starts only while the file named by {@link #GATE} exists: closing the gate makes a crash loop. */
    public static final class Gated extends Experiment {
        public Gated() {
            if (!testJvm && !Files.exists(Path.of(System.getProperty(GATE)))) throw new IllegalStateException("the gate is closed");
        }
    }

    /** Never finishes construction in a worker: the worker never reports ready. */
    public static final class Hanging extends Experiment {
        public Hanging() throws InterruptedException {
            if (!testJvm) Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** Its worker's shutdown never ends: SIGTERM does not stop it, only SIGKILL does. */
    public static final class Stubborn extends Experiment {
        public Stubborn() {
            if (!testJvm) Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
    }

    /** Serves as the experiment does. */
    public abstract static class Experiment implements Application {
        @Override
        public Reply handle(Request request) {
            return Application.experiment().handle(request);
        }
    }
}
