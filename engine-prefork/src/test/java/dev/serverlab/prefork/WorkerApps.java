package dev.serverlab.prefork;

import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;

import java.io.IOException;
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

    /**
     * Says "in flight" on stdout, waits until the JDK has pointed its worker's fd 2 at /dev/null (which it
     * does when the worker closes its inherited listener, at shutdown), then says so on stdout and stderr
     * and answers: what a worker prints while it drains.
     */
    public static final class Late extends Experiment {
        static final String IN_FLIGHT = "late: in flight";
        static final String HEARD = "late: printed after the listener closed, fd 2 was ";

        @Override
        public Reply handle(Request request) {
            System.out.println(IN_FLIGHT);
            Path fd2 = Path.of("/proc/self/fd/2");
            String target = "";
            for (int i = 0; i < 6000 && !target.equals("/dev/null"); i++) {
                try {
                    Thread.sleep(10);
                    target = Files.readSymbolicLink(fd2).toString();
                } catch (IOException | InterruptedException e) {
                    target = e.toString();
                }
            }
            System.out.println(HEARD + target + " (stdout)");
            System.err.println(HEARD + target + " (stderr)");
            return super.handle(request);
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
