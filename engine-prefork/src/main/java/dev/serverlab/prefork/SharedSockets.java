package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.InvocationTargetException;

/**
 * The way to {@link SharedSocket}, whose FFM code needs a JDK 22+ runtime on Linux, from code compiled
 * for release 21. Where it cannot run, prefork falls back to {@code SO_REUSEPORT} (a queue per worker).
 *
 * <p>SharedSocket lives only in {@code META-INF/versions/22}. From the multi-release jar on JDK 22+ the
 * class loader finds it by name; from a classes directory (the build's own tests), which has no versions,
 * it is defined from that resource into this package, the same class either way.
 */
final class SharedSockets {

    private static final String NAME = "dev.serverlab.prefork.SharedSocket";
    private static final String VERSIONED = "/META-INF/versions/22/dev/serverlab/prefork/SharedSocket.class";

    private SharedSockets() {
    }

    /** Null when one shared socket can be made here, or why not. */
    static String unavailableBecause() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) return "the shared socket is implemented for Linux only";
        if (Runtime.version().feature() < 22) {
            return "the shared socket needs the FFM API of JDK 22 or later, and this is JDK " + Runtime.version().feature();
        }
        return null;
    }

    static WorkerListener open(EngineConfig config) throws IOException {
        try {
            return (WorkerListener) sharedSocketClass().getDeclaredMethod("open", EngineConfig.class).invoke(null, config);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IOException("cannot create the shared listening socket: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IOException("cannot load the shared listening socket (" + e + "); --reuseport works without it", e);
        }
    }

    private static synchronized Class<?> sharedSocketClass() throws ReflectiveOperationException, IOException {
        try {
            return Class.forName(NAME, true, SharedSockets.class.getClassLoader());
        } catch (ClassNotFoundException notInAMultiReleaseJar) {
            try (InputStream in = SharedSockets.class.getResourceAsStream(VERSIONED)) {
                if (in == null) throw notInAMultiReleaseJar;
                return MethodHandles.lookup().defineClass(in.readAllBytes());
            }
        }
    }
}
