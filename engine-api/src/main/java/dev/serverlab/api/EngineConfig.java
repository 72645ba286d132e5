package dev.serverlab.api;

import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * How to start an engine: where to listen, how many workers, the limits, and model-specific options.
 *
 * @param host      the address to bind; loopback unless the user opts out
 * @param port      the port to bind, 0 for an ephemeral one
 * @param workers   the number of workers (a pool's threads, prefork's processes) or 0 for the engine's default;
 *                  only engines that list {@link EngineOption#WORKERS} accept another value
 * @param limits    sizes and timeouts, the same on every engine
 * @param options   model-specific options by name, already validated against the engine's
 *                  {@link ServerEngine#options()} when built through {@link Engines#configure}
 * @param accessLog print each connection accepted and each request served, as the original servers did
 * @param listen    where the listening socket comes from: bound by the engine (the default), bound beside
 *                  other processes on one port, or inherited from the process that started this one
 */
public record EngineConfig(
        String host, int port, int workers, Limits limits, Map<String, String> options, boolean accessLog,
        Listen listen) {

    /** Where an engine's listening socket comes from. Prefork's workers use the last two. */
    public enum Listen {
        /** The engine binds {@code host:port} itself. */
        BIND,
        /** The engine binds {@code host:port} with {@code SO_REUSEPORT}, beside other processes on the same port. */
        REUSE_PORT,
        /**
         * The engine serves the listening socket this process was started with as its standard input
         * ({@link System#inheritedChannel()}, the inetd convention); host and port name it, nothing is bound.
         */
        INHERITED
    }

    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The port of the original experiment. */
    public static final int DEFAULT_PORT = 40404;

    public EngineConfig {
        if (host == null || host.isBlank()) throw new ConfigException("host must not be empty");
        if (port < 0 || port > 65535) throw new ConfigException("port must be from 0 to 65535, not " + port);
        if (workers < 0 || workers > 100_000) throw new ConfigException("workers must be from 1 to 100000, not " + workers);
        if (limits == null) limits = Limits.DEFAULTS;
        options = options == null ? Map.of() : Map.copyOf(new TreeMap<>(options));
        if (listen == null) listen = Listen.BIND;
    }

    /** A config whose engine binds its own socket. */
    public EngineConfig(String host, int port, int workers, Limits limits, Map<String, String> options, boolean accessLog) {
        this(host, port, workers, limits, options, accessLog, Listen.BIND);
    }

    /** Loopback, the experiment's port, default workers, default limits, no options. */
    public static EngineConfig defaults() {
        return new EngineConfig(DEFAULT_HOST, DEFAULT_PORT, 0, Limits.DEFAULTS, Map.of(), false);
    }

    /** Loopback on an ephemeral port: what tests and embedded uses want. */
    public static EngineConfig ephemeral() {
        return defaults().withPort(0);
    }

    public EngineConfig withHost(String v) {
        return new EngineConfig(v, port, workers, limits, options, accessLog, listen);
    }

    public EngineConfig withPort(int v) {
        return new EngineConfig(host, v, workers, limits, options, accessLog, listen);
    }

    public EngineConfig withWorkers(int v) {
        return new EngineConfig(host, port, v, limits, options, accessLog, listen);
    }

    public EngineConfig withLimits(Limits v) {
        return new EngineConfig(host, port, workers, v, options, accessLog, listen);
    }

    public EngineConfig withAccessLog(boolean v) {
        return new EngineConfig(host, port, workers, limits, options, v, listen);
    }

    /** Adds or replaces one option; the value is checked when the engine is configured. */
    public EngineConfig withOption(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(options);
        copy.put(name, value);
        return new EngineConfig(host, port, workers, limits, copy, accessLog, listen);
    }

    public EngineConfig withListen(Listen v) {
        return new EngineConfig(host, port, workers, limits, options, accessLog, v);
    }

    /** The worker count, or {@code fallback} when the config leaves it to the engine. */
    public int workersOr(int fallback) {
        return workers == 0 ? fallback : workers;
    }

    public boolean flag(String name) {
        return Boolean.parseBoolean(options.getOrDefault(name, "false"));
    }

    public int count(String name, int fallback) {
        String v = options.get(name);
        return v == null ? fallback : EngineOption.parseCount(name, v);
    }

    public Duration duration(String name, Duration fallback) {
        String v = options.get(name);
        return v == null ? fallback : EngineOption.parseDuration(name, v);
    }

    /** True when the host is a loopback address, the safe default. */
    public boolean isLoopback() {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
