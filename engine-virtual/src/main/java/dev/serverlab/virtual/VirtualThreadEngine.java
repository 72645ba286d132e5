package dev.serverlab.virtual;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.BlockingConnection;
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
 *   <li><b>Waiting for bytes:</b> a read that finds none parks the virtual thread; the JDK's poller unparks it
 *       when the socket is readable. How the JDK polls ({@code -Djdk.pollerMode}) is the JVM's, so the
 *       application's to choose: {@code ./lab} chooses mode 1, a platform poller thread (see the README).</li>
 *   <li><b>No pinning:</b> the connection loop and the GIL use {@code java.util.concurrent} locks, never
 *       {@code synchronized}, so a blocked virtual thread always frees its carrier on JDK 21 too.</li>
 *   <li><b>{@link Limits#maxConnections()}</b> (10,000 by default): connections beyond it wait in the kernel's
 *       accept backlog until one closes.</li>
 * </ul>
 */
public final class VirtualThreadEngine implements ServerEngine {

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
        String details = "virtual thread per connection, carriers=" + BlockingConnection.virtualThreadCarriers() + ", jdk.pollerMode="
                + System.getProperty("jdk.pollerMode", "the JDK's default") + ", maxConnections=" + config.limits().maxConnections() + ", "
                + (cpu instanceof Gil gil ? gil.toString() : "no gil");
        return ThreadServer.start(config, application, cpu, threadPerConnection(), "virtual-acceptor", details);
    }

    /** A new virtual thread for every connection: nothing queues but ready threads waiting for a carrier. */
    static ExecutorService threadPerConnection() {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("virtual-", 1).factory());
    }
}
