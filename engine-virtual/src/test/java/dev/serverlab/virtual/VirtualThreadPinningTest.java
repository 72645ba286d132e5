package dev.serverlab.virtual;

import dev.serverlab.api.conformance.Clients;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.conformance.RawHttp.Reply;
import dev.serverlab.api.conformance.RawHttp;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records {@code jdk.VirtualThreadPinned} (threshold 0, so every pinned park counts) while the engine
 * serves concurrent sleeps, fibs under the GIL and kept-alive connections, and checks that none of the
 * server's threads parked while pinned to its carrier.
 *
 * <p>A control proves the recording sees pinning: a virtual thread that sleeps inside a class initializer
 * pins its carrier on every JDK. The server is warmed up before the recording starts: loading a class for
 * the first time can pin for a moment (see the test), which is start-up, not the request path. (On JDK 24 and later {@code synchronized} no longer pins at all, so on
 * those JDKs this test guards the other causes; the request path also holds no monitor, for JDK 21.)
 */
class VirtualThreadPinningTest {

    /** Sleeps in its static initializer: a virtual thread running this cannot unmount. */
    static final class SlowToInitialize {
        static {
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        static void touch() {
        }
    }

    @Test
    void serversThreadsNeverParkPinnedToTheirCarrier() throws Exception {
        Path file = Files.createTempFile("serverlab-pinning", ".jfr");
        EngineConfig config = EngineConfig.ephemeral().withOption("gil", "true").withOption("switch-interval", "1ms");
        try (RunningServer server = new VirtualThreadEngine().start(config, Application.experiment())) {
            // Warm up first: the first use of a class loads it under the class loader's monitor, and two
            // virtual threads racing to load or initialize it pin for a moment, once. That is start-up,
            // not the request path, so the recording begins after every class on the path is loaded.
            serveTheMix(server.port());
            try (Recording recording = new Recording()) {
                recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
                recording.start();
                Thread.ofVirtual().name("pinning-control").start(SlowToInitialize::touch).join();
                serveTheMix(server.port());
                recording.stop();
                recording.dump(file);
            }
            List<RecordedEvent> pinned = RecordingFile.readAllEvents(file);
            List<RecordedEvent> control = pinned.stream().filter(e -> mentions(e, SlowToInitialize.class.getName())).toList();
            List<String> inServer = pinned.stream()
                    .filter(e -> !mentions(e, SlowToInitialize.class.getName()))
                    .map(VirtualThreadPinningTest::describe).toList();

            assertThat(control).as("the recording sees a pinned park").isNotEmpty();
            System.out.printf("jdk.VirtualThreadPinned: %d event(s) from the control, %d from the server%n",
                    control.size(), inServer.size());
            assertThat(inServer).as("pinned parks while serving").isEmpty();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Concurrent sleeps, fibs taking turns on the GIL, and kept-alive connections mixing both. */
    private static void serveTheMix(int port) throws Exception {
        List<Callable<Reply>> calls = new ArrayList<>();
        for (int i = 0; i < 8; i++) calls.add(() -> Clients.get(port, "/sleep/200"));
        for (int i = 0; i < 4; i++) calls.add(() -> Clients.get(port, "/fib/27"));
        for (int i = 0; i < 2; i++) {
            calls.add(() -> {
                try (RawHttp c = RawHttp.connect(port)) {
                    c.send(RawHttp.request("/sleep/50"));
                    c.read();
                    c.send(RawHttp.request("/fib/20"));
                    return c.read();
                }
            });
        }
        assertThat(Clients.all(calls)).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
    }

    private static boolean mentions(RecordedEvent event, String className) {
        if (event.getStackTrace() == null) return false;
        for (RecordedFrame frame : event.getStackTrace().getFrames()) {
            if (frame.getMethod().getType().getName().equals(className)) return true;
        }
        return false;
    }

    private static String describe(RecordedEvent event) {
        StringBuilder s = new StringBuilder(event.getDuration().toMillis() + " ms pinned");
        for (String field : List.of("blockingOperation", "pinnedReason")) {
            if (event.hasField(field)) s.append(", ").append(field).append(": ").append(event.getString(field));
        }
        if (event.getStackTrace() != null) {
            for (RecordedFrame frame : event.getStackTrace().getFrames()) {
                s.append("\n  at ").append(frame.getMethod().getType().getName()).append('.').append(frame.getMethod().getName());
            }
        }
        return s.toString();
    }
}
