package dev.serverlab.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Finds engines with {@link ServiceLoader}.
 *
 * <p>Selection order: an explicit name (an argument, or the {@value #PROPERTY} system property), else the
 * only engine found. Unknown names, two engines under one name, and an ambiguous choice are errors whose
 * message lists what was found.
 */
public final class Engines {

    /** System property that names the engine when the caller gives none. */
    public static final String PROPERTY = "serverlab.engine";

    private final Map<String, ServerEngine> byName;

    private Engines(Map<String, ServerEngine> byName) {
        this.byName = byName;
    }

    /** The engines visible to the context class loader (or this class's loader), sorted by name. */
    public static Engines discover() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return discover(ServiceLoader.load(ServerEngine.class, loader != null ? loader : Engines.class.getClassLoader()));
    }

    static Engines discover(Iterable<ServerEngine> loader) {
        Map<String, List<ServerEngine>> found = new TreeMap<>();
        try {
            for (ServerEngine e : loader) {
                found.computeIfAbsent(e.name(), k -> new ArrayList<>()).add(e);
            }
        } catch (ServiceConfigurationError e) {
            throw new EngineLookupException("an engine on the class path could not be loaded: " + e.getMessage());
        }
        Map<String, ServerEngine> byName = new LinkedHashMap<>();
        for (var entry : found.entrySet()) {
            if (entry.getValue().size() > 1) {
                throw new EngineLookupException("two or more engines are named '" + entry.getKey() + "': "
                        + entry.getValue().stream().map(e -> e.getClass().getName()).collect(Collectors.joining(", "))
                        + "; keep only one of them on the class path");
            }
            byName.put(entry.getKey(), entry.getValue().get(0));
        }
        return new Engines(byName);
    }

    /** Every engine found, sorted by name. */
    public List<ServerEngine> all() {
        return List.copyOf(byName.values());
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** The engine with this name; an unknown name is an error that lists the available ones. */
    public ServerEngine find(String name) {
        ServerEngine engine = byName.get(name);
        if (engine == null) {
            throw new EngineLookupException(byName.isEmpty()
                    ? "no engine named '" + name + "': no engines were found on the class path"
                    : "no engine named '" + name + "'; available: " + String.join(", ", byName.keySet()));
        }
        return engine;
    }

    /**
     * The engine named by {@code name}, or by the {@value #PROPERTY} system property, or the only
     * engine on the class path.
     */
    public ServerEngine select(String name) {
        if (name != null && !name.isBlank()) return find(name.trim());
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) return find(property.trim());
        if (byName.size() == 1) return byName.values().iterator().next();
        throw new EngineLookupException(byName.isEmpty()
                ? "no engines were found on the class path; add an engine module such as engine-blocking"
                : "several engines were found; choose one of " + String.join(", ", byName.keySet()));
    }

    /**
     * Checks {@code config} against what {@code engine} accepts, and returns it with every option value in
     * canonical form. Options the engine does not list, and workers on an engine without workers, are
     * errors that say what the engine does accept.
     */
    public static EngineConfig configure(ServerEngine engine, EngineConfig config) {
        Map<String, EngineOption> accepted = new LinkedHashMap<>();
        for (EngineOption o : engine.options()) accepted.put(o.name(), o);
        if (config.workers() != 0 && !accepted.containsKey(EngineOption.WORKERS)) {
            throw new ConfigException("engine '" + engine.name() + "' does not take --workers" + supported(engine.name(), accepted));
        }
        Map<String, String> canonical = new LinkedHashMap<>();
        for (var entry : config.options().entrySet()) {
            EngineOption option = accepted.get(entry.getKey());
            if (option == null || option.name().equals(EngineOption.WORKERS)) {
                throw new ConfigException("engine '" + engine.name() + "' does not take --" + entry.getKey() + supported(engine.name(), accepted));
            }
            canonical.put(option.name(), option.validate(entry.getValue()));
        }
        return new EngineConfig(config.host(), config.port(), config.workers(), config.limits(), canonical, config.accessLog(), config.listen());
    }

    private static String supported(String engine, Map<String, EngineOption> accepted) {
        if (accepted.isEmpty()) return "; it takes no model options";
        return "; it takes " + accepted.keySet().stream().sorted(Comparator.naturalOrder()).map(n -> "--" + n).collect(Collectors.joining(", "));
    }
}
