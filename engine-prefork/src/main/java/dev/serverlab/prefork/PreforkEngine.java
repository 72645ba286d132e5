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
 * The experiment's {@code proc.py}: N worker processes, each the naive serial server, all on one port.
 *
 * <pre>
 *   parent JVM (this engine): reserves the port, starts the workers, restarts the dead, stops them all
 *        │ java -cp &lt;same class path&gt; PreforkWorker ...        ▲ stdout "ready" · stderr copied
 *        │ stdin: "stop" or EOF (also when the parent dies)      │ exit ─► a new worker
 *        ▼                                                       │
 *   ┌──────────── worker 1 ───────────┐   ┌──── worker 2 ────┐   ┌──── worker N ────┐
 *   │ [accept backlog] ─► accept() ─► │   │ [backlog] ─► ... │   │ [backlog] ─► ... │
 *   │ serve connection to completion ─┘   │                  │   │                  │
 *   └──────────────▲──────────────────┘   └────────▲─────────┘   └────────▲─────────┘
 *                  └──── kernel: SO_REUSEPORT hashes each new connection ─┘
 *                             to one worker's listening socket
 *   clients ───────────────────────────────────────┘
 * </pre>
 *
 * Where requests wait: in the accept backlog of the worker the kernel picked, behind that worker's
 * current connection. The pick is a hash of the connection's addresses, not a measure of load, so a
 * connection can wait behind a busy worker while another is idle; {@code proc.py}'s processes shared
 * one socket and so one queue. CPU work runs in N processes at once, as many at a time as there are
 * cores; a worker's sleep blocks its only thread.
 *
 * <p>The application must be re-creatable in each worker: see {@link ApplicationRecipe}.
 */
public final class PreforkEngine implements ServerEngine {

    private static final Logger log = LoggerFactory.getLogger(PreforkEngine.class);

    static final int DEFAULT_WORKERS = 4;
    /** Each worker is a JVM of its own (tens of MiB, a second to start): more is a mistake, not a setting. */
    static final int MAX_WORKERS = 64;

    @Override
    public String name() {
        return "prefork";
    }

    @Override
    public String description() {
        return "worker processes (default " + DEFAULT_WORKERS + "), each a serial server, sharing the port with SO_REUSEPORT";
    }

    @Override
    public List<EngineOption> options() {
        return List.of(EngineOption.workers("worker processes, each serving one connection at a time (default "
                + DEFAULT_WORKERS + ", at most " + MAX_WORKERS + ")"));
    }

    @Override
    public RunningServer start(EngineConfig config, Application application) throws IOException {
        config = Engines.configure(this, config);
        int workers = config.workersOr(DEFAULT_WORKERS);
        if (workers > MAX_WORKERS) {
            throw new ConfigException("prefork starts one JVM per worker: --workers must be at most " + MAX_WORKERS + ", not " + workers);
        }
        ApplicationRecipe recipe = ApplicationRecipe.of(application);
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            // BSD and macOS accept SO_REUSEPORT but hand every connection to one socket: no spreading.
            log.warn("SO_REUSEPORT spreads connections over the workers only on Linux; on {} one worker may get them all",
                    System.getProperty("os.name"));
        }
        PortReservation reservation = PortReservation.reserve(config);
        try {
            return Supervisor.start(config, workers, recipe, reservation);
        } catch (IOException | RuntimeException e) {
            reservation.close();
            throw e;
        }
    }
}
