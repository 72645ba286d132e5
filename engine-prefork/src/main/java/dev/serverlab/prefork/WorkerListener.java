package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.InvocationTargetException;
import java.net.InetSocketAddress;

/**
 * Where the workers take their connections from, held by the parent for the server's life.
 *
 * <p>{@code shared} ({@code SharedSocket}): one listening socket, one accept queue; each worker inherits
 * it as its standard input. {@code reuseport} ({@link PortReservation}): each worker binds its own socket
 * on the port, and the kernel hashes each new connection to one of them.
 */
interface WorkerListener extends AutoCloseable {

    InetSocketAddress address();

    /** How a worker's blocking engine gets its socket: {@code INHERITED} (shared) or {@code REUSE_PORT}. */
    EngineConfig.Listen workerListen();

    /** Starts a worker process, handing it the socket where that is how it gets one. */
    default Process spawn(ProcessBuilder worker) throws IOException {
        return worker.start();
    }

    @Override
    void close();

    /** Null when the shared socket can be made here, or why not. */
    static String noSharedSocketBecause() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) return "the shared socket is implemented for Linux only";
        int jdk = Runtime.version().feature();
        return jdk < 22 ? "the shared socket needs the FFM API of JDK 22 or later, and this is JDK " + jdk : null;
    }

    /**
     * Binds and listens on {@code config}'s address with {@code SharedSocket}. Its FFM code is compiled with
     * release 22 into {@code META-INF/versions/22} only: from the multi-release jar on JDK 22+ the class
     * loader finds it by name; from a classes directory (the build's own tests, {@code ./lab}), which has no
     * versions, it is defined from that resource into this package, the same class either way.
     */
    static WorkerListener shared(EngineConfig config) throws IOException {
        Class<?> type;
        synchronized (WorkerListener.class) {   // defined once, found by name afterwards
            try {
                type = Class.forName("dev.serverlab.prefork.SharedSocket", true, WorkerListener.class.getClassLoader());
            } catch (ClassNotFoundException notInAMultiReleaseJar) {
                try (InputStream in = WorkerListener.class.getResourceAsStream("/META-INF/versions/22/dev/serverlab/prefork/SharedSocket.class")) {
                    if (in == null) throw new IOException("cannot find the shared listening socket's class", notInAMultiReleaseJar);
                    type = MethodHandles.lookup().defineClass(in.readAllBytes());
                } catch (IllegalAccessException | LinkageError e) {
                    throw new IOException("cannot load the shared listening socket: " + e, e);
                }
            }
        }
        try {
            return (WorkerListener) type.getDeclaredMethod("open", EngineConfig.class).invoke(null, config);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IOException("cannot create the shared listening socket: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot open the shared listening socket: " + e, e);
        }
    }
}
