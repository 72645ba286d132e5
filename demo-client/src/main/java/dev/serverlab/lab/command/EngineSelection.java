package dev.serverlab.lab.command;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.Limits;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.Listener;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The options that pick an engine and configure it, shared by every command that starts one. Model options
 * are passed only when given, so an option the engine does not take is an error, never silently ignored.
 */
public final class EngineSelection {

    /** How --help introduces these options: after the command's own. */
    static final String HEADING = "%nEngine options (for the engine the command starts; see ./lab engines):%n";

    @Option(names = "--engine", paramLabel = "NAME", description = "The engine to start (see ./lab engines).")
    String engine;

    @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: ${DEFAULT-VALUE}, loopback only).",
            defaultValue = EngineConfig.DEFAULT_HOST)
    String host = EngineConfig.DEFAULT_HOST;   // also here: an argument group none of whose options is given keeps its field values

    @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on; 0 picks a free one.")
    Integer port;

    @Option(names = "--workers", paramLabel = "N", description = "Workers: the threads of a pool or the processes of prefork (event loops take --loops).")
    public Integer workers;

    @Option(names = "--gil", description = "Run CPU work under a global interpreter lock, as CPython does (threadpool, virtual).")
    public boolean gil;

    @Option(names = "--switch-interval", paramLabel = "DURATION", description = "How long a thread may hold the GIL while others wait (default 5ms).")
    public String switchInterval;

    @Option(names = "--offload", paramLabel = "N", description = "Run CPU work on a pool of N threads instead of the event loop (nio, netty, vertx).")
    public Integer offload;

    @Option(names = "--loops", paramLabel = "N", description = "Number of event loops, or Vert.x instances.")
    public Integer loops;

    @Option(names = "--accept", paramLabel = "shared|reuseport", description = "Where prefork's workers take connections: shared, one "
            + "listening socket and queue for all (default where it can be made), or reuseport, a SO_REUSEPORT socket and queue per worker.")
    public String accept;

    @Option(names = "--access-log", description = "Print each connection accepted and each request served, with pid and thread.")
    public boolean accessLog;

    // Limits (see engine-api/LIMITS.md); each defaults to Limits.DEFAULTS.
    @Option(names = "--max-connections", paramLabel = "N", description = "Connections open at once; beyond it the engine refuses or leaves them in the backlog (default 10000).")
    public Integer maxConnections;

    @Option(names = "--max-body", paramLabel = "BYTES", description = "Largest request body; a larger one gets 413 (default 1048576).")
    public Long maxBody;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", description = "Close a keep-alive connection idle this long, or a write stuck this long (default 30s).")
    public String idleTimeout;

    @Option(names = "--header-timeout", paramLabel = "DURATION", description = "Answer 408 when a request's headers take longer to arrive (default 10s).")
    public String headerTimeout;

    @Option(names = "--request-deadline", paramLabel = "DURATION", description = "Answer 503 to a request whose work would take longer (default 90s).")
    public String requestDeadline;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", description = "On shutdown, how long requests in flight may take to finish (default 10s).")
    public String drainTimeout;

    public boolean given() {
        return engine != null;
    }

    /**
     * For a command that loads a server it does not start (--url): every engine option given is an error,
     * since none of them would reach that server.
     */
    static void rejectEngineOptions(CommandSpec spec, String why) {
        for (OptionSpec o : spec.options()) {
            if (o.group() != null && spec.commandLine().getParseResult().hasMatchedOption(o)) {
                throw new UserError(ExitCode.USAGE, o.longestName() + " " + why);
            }
        }
    }

    /** An error for the first of {@code names} given on this command line: it does not apply, and {@code why} says so. */
    static void reject(CommandSpec spec, String why, String... names) {
        for (String name : names) {
            if (spec.commandLine().getParseResult().hasMatchedOption(name)) throw new UserError(ExitCode.USAGE, name + " " + why);
        }
    }

    /** The options given, as the engine config's model options. */
    public List<String[]> modelOptions() {
        List<String[]> options = new ArrayList<>();
        if (gil) options.add(new String[] {"gil", "true"});
        if (switchInterval != null) options.add(new String[] {"switch-interval", switchInterval});
        if (offload != null) options.add(new String[] {"offload", Integer.toString(offload)});
        if (loops != null) options.add(new String[] {"loops", Integer.toString(loops)});
        if (accept != null) options.add(new String[] {"accept", accept});
        return options;
    }

    /** The limits these options describe: the defaults, with what was given. */
    public Limits limits() {
        Limits limits = Limits.DEFAULTS;
        if (maxConnections != null) {
            if (maxConnections < 1) throw new ConfigException("--max-connections must be at least 1, not " + maxConnections);
            limits = limits.withMaxConnections(maxConnections);
        }
        if (maxBody != null) {
            if (maxBody < 0 || maxBody > Integer.MAX_VALUE - 16) throw new ConfigException("--max-body must be from 0 to 2147483631 bytes, not " + maxBody);
            limits = limits.withMaxBodyBytes(maxBody);
        }
        if (idleTimeout != null) limits = limits.withIdleTimeout(EngineOption.parseDuration("idle-timeout", idleTimeout));
        if (headerTimeout != null) limits = limits.withHeaderReadTimeout(EngineOption.parseDuration("header-timeout", headerTimeout));
        if (requestDeadline != null) limits = limits.withRequestDeadline(EngineOption.parseDuration("request-deadline", requestDeadline));
        if (drainTimeout != null) limits = limits.withDrainTimeout(EngineOption.parseDuration("drain-timeout", drainTimeout));
        return limits;
    }

    /** The engine named by --engine; an unknown name lists the available ones. */
    public ServerEngine resolveEngine() {
        if (engine == null) throw new UserError(ExitCode.USAGE, "choose an engine with --engine NAME; available: "
                + String.join(", ", Engines.discover().names()));
        return Engines.discover().find(engine);
    }

    /** The config these options describe, checked against the engine. */
    public EngineConfig config(ServerEngine chosen, int defaultPort) {
        EngineConfig config = EngineConfig.defaults()
                .withHost(host)
                .withPort(port != null ? port : defaultPort)
                .withLimits(limits())
                .withAccessLog(accessLog);
        if (workers != null) {
            if (workers < 1) throw new ConfigException("--workers must be at least 1, not " + workers);
            config = config.withWorkers(workers);
        }
        for (String[] option : modelOptions()) config = config.withOption(option[0], option[1]);
        return Engines.configure(chosen, config);
    }

    /** Starts the engine in this JVM, turning the usual failures into messages a person can act on. */
    public RunningServer start(int defaultPort, Application application) {
        ServerEngine chosen = resolveEngine();
        EngineConfig config = config(chosen, defaultPort);
        try {
            return chosen.start(config, application);
        } catch (Listener.PortInUseException e) {
            throw new UserError(ExitCode.UNAVAILABLE, e.getMessage());
        } catch (IOException e) {
            throw new UserError(ExitCode.UNAVAILABLE, "engine '" + chosen.name() + "' could not start: " + e.getMessage());
        }
    }
}
