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
 * @param workers   the number of workers (threads, processes, loops) or 0 for the engine's default;
 *                  only engines that list {@link EngineOption#WORKERS} accept another value
 * @param limits    sizes and timeouts, the same on every engine
 * @param options   model-specific options by name, already validated against the engine's
 *                  {@link ServerEngine#options()} when built through {@link Engines#configure}
 * @param accessLog print each connection accepted and each request served, as the original servers did
 */
public record EngineConfig(
        String host, int port, int workers, Limits limits, Map<String, String> options, boolean accessLog) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The port of the original experiment. */
    public static final int DEFAULT_PORT = 40404;

    public EngineConfig {
        if (host == null || host.isBlank()) throw new ConfigException("host must not be empty");
        if (port < 0 || port > 65535) throw new ConfigException("port must be from 0 to 65535, not " + port);
        if (workers < 0 || workers > 100_000) throw new ConfigException("workers must be from 1 to 100000, not " + workers);
        if (limits == null) limits = Limits.DEFAULTS;
        options = options == null ? Map.of() : Map.copyOf(new TreeMap<>(options));
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
        return new EngineConfig(v, port, workers, limits, options, accessLog);
    }

    public EngineConfig withPort(int v) {
        return new EngineConfig(host, v, workers, limits, options, accessLog);
    }

    public EngineConfig withWorkers(int v) {
        return new EngineConfig(host, port, v, limits, options, accessLog);
    }

    public EngineConfig withLimits(Limits v) {
        return new EngineConfig(host, port, workers, v, options, accessLog);
    }

    public EngineConfig withAccessLog(boolean v) {
        return new EngineConfig(host, port, workers, limits, options, v);
    }

    /** Adds or replaces one option; the value is checked when the engine is configured. */
    public EngineConfig withOption(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(options);
        copy.put(name, value);
        return new EngineConfig(host, port, workers, limits, copy, accessLog);
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
