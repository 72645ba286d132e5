package dev.serverlab.lab.experiment;

import dev.serverlab.api.EngineOption;
import dev.serverlab.api.ServerEngine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One row group of the comparison: an engine started with some options, such as {@code threadpool+gil}
 * ({@code --workers 4 --gil}), and the model the ideal total is computed from.
 *
 * @param label        the name in tables and file names: the engine, plus {@code +gil} or {@code +offload}
 * @param engine       the engine's name
 * @param serveArgs    the options given to {@code ./lab serve}
 * @param model        how it serves concurrent requests
 * @param lesson       part of the default line-up
 */
public record Variant(String label, String engine, List<String> serveArgs, Model model, boolean lesson) {

    /**
     * The only part of a model that cannot be read from what an engine declares: its kind. A pool is any
     * engine that takes {@code --workers}, an event loop any engine that takes {@code --offload}; the
     * engines without such options are named here. Engines not listed and without those options still
     * run, with an unknown model (no ideal). The counts are never guessed: they are the options the lab
     * passes (--workers, --loops, --offload), so a count an engine cannot take stays unknown.
     */
    static final Map<String, Model.Kind> KINDS = Map.of(
            "blocking", Model.Kind.SERIAL,
            "virtual", Model.Kind.UNBOUNDED);

    /** The counts the lab gives the engines that take them. */
    public record Counts(int workers, int loops, int offload) {
    }

    /**
     * Every variant the engines allow: each engine as it is (pools with {@code --workers}, event loops with
     * {@code --loops}), {@code +gil} where the engine takes {@code --gil}, and {@code +offload} where it
     * takes {@code --offload}. The lesson variants, run by default, are all but the GIL on engines that are
     * not pools (the original compared threads with and without the GIL, nothing else).
     * Sorted serial, pools, unbounded, event loops, unknown; then by label.
     */
    public static List<Variant> all(List<ServerEngine> engines, Counts counts) {
        List<Variant> variants = new ArrayList<>();
        for (ServerEngine engine : engines) {
            Set<String> declared = engine.options().stream().map(EngineOption::name).collect(Collectors.toSet());
            Model.Kind kind = kindOf(engine.name(), declared);
            List<String> args = new ArrayList<>();
            Model model = switch (kind) {
                case SERIAL -> Model.serial();
                case UNBOUNDED -> Model.unbounded();
                case UNKNOWN -> Model.unknown();
                case POOL -> {
                    if (!declared.contains(EngineOption.WORKERS)) yield Model.pool(0);
                    args.addAll(List.of("--workers", Integer.toString(counts.workers())));
                    yield Model.pool(counts.workers());
                }
                case EVENT_LOOP -> {
                    if (!declared.contains("loops")) yield Model.eventLoop(0, 0);
                    args.addAll(List.of("--loops", Integer.toString(counts.loops())));
                    yield Model.eventLoop(counts.loops(), 0);
                }
            };
            variants.add(new Variant(engine.name(), engine.name(), List.copyOf(args), model, true));
            if (declared.contains("gil")) {
                variants.add(new Variant(engine.name() + "+gil", engine.name(), with(args, "--gil"), model.withGil(),
                        kind == Model.Kind.POOL));
            }
            if (declared.contains("offload")) {
                // only an event loop's model changes: CPU work moves from its loops to the pool
                Model offloaded = kind == Model.Kind.EVENT_LOOP ? Model.eventLoop(model.loops(), counts.offload()) : model;
                variants.add(new Variant(engine.name() + "+offload", engine.name(),
                        with(args, "--offload", Integer.toString(counts.offload())), offloaded, true));
            }
        }
        variants.sort(Comparator.comparing((Variant v) -> v.model().kind()).thenComparing(Variant::label));
        return List.copyOf(variants);
    }

    /** The kind from the table, else from the options the engine declares, else unknown. */
    static Model.Kind kindOf(String engine, Set<String> declared) {
        Model.Kind known = KINDS.get(engine);
        if (known != null) return known;
        if (declared.contains("offload")) return Model.Kind.EVENT_LOOP;
        if (declared.contains(EngineOption.WORKERS)) return Model.Kind.POOL;
        return Model.Kind.UNKNOWN;
    }

    private static List<String> with(List<String> args, String... more) {
        List<String> copy = new ArrayList<>(args);
        copy.addAll(List.of(more));
        return List.copyOf(copy);
    }

    /** {@code threadpool --workers 4 --gil}: how to start it by hand. */
    public String commandLine() {
        return serveArgs.isEmpty() ? engine : engine + " " + String.join(" ", serveArgs);
    }
}
