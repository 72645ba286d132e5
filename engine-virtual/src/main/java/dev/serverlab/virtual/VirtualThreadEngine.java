package dev.serverlab.virtual;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.CpuRunner;
import dev.serverlab.api.server.Gil;
import dev.serverlab.api.server.ThreadServer;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One virtual thread per connection (JDK 21, no library): the thread-per-connection server written the
 * simple blocking way, without a pool to run out of.
 *
 * <pre>
 *   clients
 *      │
 *      ▼
 *   [ kernel accept backlog ]        waits here only once maxConnections are open
 *      │
 *   acceptor (platform thread)       accept(), stamp X-Accepted-At, start a virtual thread
 *      │
 *      ├──► virtual-1 ┐  one per connection, plain blocking code:
 *      ├──► virtual-2 │  a read or a sleep parks the virtual thread
 *      └──► ...       ┘  and frees its carrier for another
 *             │ mount ▲ park
 *             ▼       │
 *   [ ready virtual threads ]        wait here for a free carrier (CPU-bound work fills them)
 *             │
 *   carrier-1  carrier-2             one platform carrier thread per core (a ForkJoinPool)
 * </pre>
 *
 * The whole model is {@link #threadPerConnection}: the {@link ThreadServer} shell accepts and starts a
 * virtual thread for each connection.
 * <ul>
 *   <li><b>IO-bound work is free:</b> a sleep or a read parks the virtual thread and frees its carrier, so
 *       ten clients asking for a 300 ms sleep are all served in one round, and so would ten thousand.</li>
 *   <li><b>CPU-bound work is not:</b> the scheduler has one carrier per core and never time-slices a virtual
 *       thread. A fib request keeps its carrier until it is done, so CPU-bound requests run about
 *       {@code cores} at a time, each to completion, while the rest wait for a carrier (and so does every
 *       other request, even {@code GET /}).</li>
 *   <li><b>{@code --gil}:</b> CPU steps run under a {@link Gil}, whose hand-overs park the waiting threads, so
 *       CPU-bound requests take turns every switch interval: all in service at once, one computing at a time.</li>
 *   <li><b>Waiting for bytes:</b> a read that finds none parks the virtual thread; the JDK's poller, a
 *       platform thread of its own ({@link #choosePollerMode}), unparks it when the socket is readable.</li>
 *   <li><b>No pinning:</b> the connection loop and the GIL use {@code java.util.concurrent} locks, never
 *       {@code synchronized}, so a blocked virtual thread always frees its carrier on JDK 21 too.</li>
 *   <li><b>{@link Limits#maxConnections()}</b> (10,000 by default): connections beyond it wait in the kernel's
 *       accept backlog until one closes.</li>
 * </ul>
 */
public final class VirtualThreadEngine implements ServerEngine {

    static final String POLLER_MODE = "jdk.pollerMode";
    /** {@code jdk.pollerMode=1}: the JDK's poller runs on a platform thread of its own. */
    static final String PLATFORM_POLLER = "1";

    @Override
    public String name() {
        return "virtual";
    }

    @Override
    public String description() {
        return "one virtual thread per connection (JDK 21): blocking code, unbounded concurrency, CPU work cores at a time";
    }

    @Override
    public List<EngineOption> options() {
        return Gil.options();
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        CpuRunner cpu = Gil.fromConfig(config);
        String pollerMode = choosePollerMode();
        String details = "virtual thread per connection, carriers=" + carriers() + ", " + POLLER_MODE + "="
                + pollerMode + ", maxConnections=" + config.limits().maxConnections() + ", "
                + (cpu instanceof Gil gil ? gil.toString() : "no gil");
        return ThreadServer.start(config, application, cpu, threadPerConnection(), "virtual-acceptor", details);
    }

    /** A new virtual thread for every connection: nothing queues but ready threads waiting for a carrier. */
    static ExecutorService threadPerConnection() {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("virtual-", 1).factory());
    }

    /**
     * Chooses how the JDK waits for this JVM's virtual-thread sockets, unless the user did ({@code -Djdk.pollerMode}).
     * The JDK reads the property once, when a virtual thread first blocks on a socket: in {@code ./lab serve} that
     * is this server's first connection, after start. Mode 1: one platform thread waits in {@code epoll_wait} and
     * unparks the readers. The JDK's default on Linux, mode 2, polls from virtual threads on the carriers, which
     * register again with a master poller each time they find nothing; that cost 0.8 to 1.3 system calls more
     * per request at a fixed 5,000 req/s, for no less CPU (see the README). In a JVM whose virtual threads
     * already did socket I/O, the property comes too late and the JDK keeps the mode it started with.
     */
    static String choosePollerMode() {
        String set = System.getProperty(POLLER_MODE);
        if (set != null) return set;
        System.setProperty(POLLER_MODE, PLATFORM_POLLER);
        return PLATFORM_POLLER;
    }

    /** The default scheduler's parallelism: one carrier per core unless the user set it. */
    private static int carriers() {
        String set = System.getProperty("jdk.virtualThreadScheduler.parallelism");
        try {
            if (set != null) return Integer.parseInt(set.trim());
        } catch (NumberFormatException ignored) {
            // the JDK reports a bad value itself; show the default here
        }
        return Runtime.getRuntime().availableProcessors();
    }
}
