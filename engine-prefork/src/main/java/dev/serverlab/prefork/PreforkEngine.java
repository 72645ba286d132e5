package dev.serverlab.prefork;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;

/**
 * The experiment's {@code proc.py}: N worker processes, each the naive serial server, taking
 * connections from one accept queue.
 *
 * <pre>
 *   parent JVM (this engine): socket() bind() listen() ─► one listening socket, one accept queue
 *        │ spawn: dup2(socket, 0); java -cp &lt;same class path&gt; PreforkWorker ...; restore fd 0
 *        │ SIGTERM on close() · SIGKILL after the grace     ▲ stdout "ready" · stderr copied
 *        ▼                                                 │ exit ─► a new worker, after a back-off
 *   clients ──► [ kernel accept queue of the one socket ]  (connections wait here)
 *                 │ accept()          │ accept()           │ accept()
 *        worker JVM 1: blocking   worker JVM 2: blocking   worker JVM N: blocking
 *        serve one connection     serve one connection     serve one connection
 *        to completion            to completion            to completion
 * </pre>
 *
 * Where requests wait: in the one accept queue, until some worker is idle: the idle worker blocked in
 * {@code accept()} takes the next connection, as in {@code proc.py}, which forks after {@code listen()}.
 * Each worker is the {@code blocking} engine found through the SPI, started on the inherited socket
 * ({@link dev.serverlab.api.EngineConfig.Listen#INHERITED}); prefork itself only spawns, supervises
 * ({@link Supervisor}) and stops processes. CPU work runs in N processes at once, as many at a time as
 * there are cores; a worker's sleep blocks its only thread.
 *
 * <p>{@code --accept reuseport} (and the fallback where the shared socket cannot be made, such as a JDK 21
 * runtime): each worker binds its own SO_REUSEPORT socket, and the kernel hashes each new connection to
 * one worker's queue regardless of load, so a connection can wait behind a busy worker while another is
 * idle. The application must be re-creatable in each worker: see {@link ApplicationRecipe}.
 */
public final class PreforkEngine implements ServerEngine {

    private static final Logger log = LoggerFactory.getLogger(PreforkEngine.class);

    static final int DEFAULT_WORKERS = 4;
    /** Each worker is a JVM of its own (tens of MiB, a second to start): more is a mistake, not a setting. */
    static final int MAX_WORKERS = 64;
    static final String ACCEPT = "accept";
    /** One listening socket, one accept queue, inherited by every worker: the default where it can be made. */
    static final String SHARED = "shared";
    /** A socket per worker, bound with SO_REUSEPORT: a queue per worker, picked by a hash of the connection. */
    static final String REUSEPORT = "reuseport";

    private final Supervision supervision;

    public PreforkEngine() {
        this(Supervision.DEFAULTS);
    }

    /** With other patience, for tests that must see a crash loop or a forced kill in milliseconds. */
    PreforkEngine(Supervision supervision) {
        this.supervision = supervision;
    }

    @Override
    public String name() {
        return "prefork";
    }

    @Override
    public String description() {
        return "worker processes (default " + DEFAULT_WORKERS + "), each a serial server, taking connections from one shared socket";
    }

    @Override
    public List<EngineOption> options() {
        return List.of(
                EngineOption.workers("worker processes, each serving one connection at a time (default "
                        + DEFAULT_WORKERS + ", at most " + MAX_WORKERS + ")"),
                EngineOption.choice(ACCEPT, "where workers take connections: shared, one listening socket and one queue for all "
                        + "(the default where it can be made), or reuseport, a SO_REUSEPORT socket and queue per worker, picked by hash",
                        SHARED, REUSEPORT));
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        int workers = config.workersOr(DEFAULT_WORKERS);
        if (workers > MAX_WORKERS) {
            throw new ConfigException("prefork starts one JVM per worker: --workers must be at most " + MAX_WORKERS + ", not " + workers);
        }
        ApplicationRecipe recipe = ApplicationRecipe.of(application);
        WorkerListener listener = listener(config);
        try {
            return Supervisor.start(config, workers, recipe, listener, supervision);
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
    }

    /** The shared socket, unless {@code --accept reuseport} or it cannot be made here (then with a warning). */
    private static WorkerListener listener(EngineConfig config) throws IOException {
        boolean reusePort = config.options().getOrDefault(ACCEPT, SHARED).equals(REUSEPORT);
        String noSharedSocket = WorkerListener.noSharedSocketBecause();
        if (!reusePort && noSharedSocket == null) return WorkerListener.shared(config);
        if (!reusePort) log.warn("{}: each worker binds its own SO_REUSEPORT socket instead", noSharedSocket);
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            // BSD and macOS accept SO_REUSEPORT but hand every connection to one socket: no spreading.
            log.warn("SO_REUSEPORT spreads connections over the workers only on Linux; on {} one worker may get them all",
                    System.getProperty("os.name"));
        }
        return PortReservation.reserve(config);
    }
}
