package dev.serverlab.lab.launch;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.lab.load.LoadGenerator;
import dev.serverlab.lab.load.Target;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The training run of the lab's start-up cache ({@link StartupCache}). {@code ./lab} runs it once per build
 * and JDK in a JVM started with {@code -XX:AOTCacheOutput=FILE} (JDK 25, JEP 514); when it exits, the JVM
 * writes the classes it loaded and linked (JEP 483) and the method profiles it gathered (JEP 515) to FILE.
 *
 * <pre>
 *   per engine: start on 127.0.0.1:0 ──► keep-alive GET / for a while ──► GET /fib/15, /sleep/1 ──► close
 *   then exit ──► the JVM writes the cache
 * </pre>
 *
 * The load is the lab's own generator, so the cache also holds the bench client's path. Everything runs on
 * loopback, is bounded in time, and is closed before the JVM exits. An engine that fails is reported and
 * skipped: the others still make a useful cache.
 *
 * <p>Usage: {@code Training [SECONDS_PER_ENGINE [ENGINE...]]}; by default every engine, {@value #DEFAULT_SECONDS} s each.
 */
public final class Training {

    /** Long enough for the hot path to be compiled and its profile to settle on a loaded 2-core machine. */
    static final int DEFAULT_SECONDS = 2;

    private Training() {
    }

    public static void main(String[] args) throws InterruptedException {
        Duration each = Duration.ofSeconds(args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_SECONDS);
        Engines engines = Engines.discover();
        List<ServerEngine> chosen = args.length > 1
                ? List.of(args).subList(1, args.length).stream().map(engines::find).toList()
                : engines.all();
        int trained = 0;
        for (ServerEngine engine : chosen) {
            try {
                train(engine, each);
                trained++;
            } catch (RuntimeException | IOException e) {
                System.err.println("training: engine '" + engine.name() + "' skipped: " + e);
            }
        }
        System.out.println("training: " + trained + " of " + chosen.size() + " engines served");
        System.exit(trained > 0 ? 0 : 1);
    }

    private static void train(ServerEngine engine, Duration each) throws IOException, InterruptedException {
        EngineConfig config = EngineConfig.ephemeral();
        // One worker is enough to run the engine's code; prefork's workers are JVMs of their own anyway.
        if (engine.options().stream().anyMatch(o -> o.name().equals(EngineOption.WORKERS))) config = config.withWorkers(1);
        try (RunningServer server = engine.start(Engines.configure(engine, config), Application.experiment())) {
            Target target = new Target("127.0.0.1", server.port(), "/");
            load(target, 8, each);
            load(target.withPath("/fib/15"), 2, Duration.ofMillis(300));
            load(target.withPath("/sleep/1"), 8, Duration.ofMillis(300));
        }
        System.out.println("training: " + engine.name() + " served");
    }

    /** Loads {@code target} for {@code duration}; an engine that answers nothing has not been trained. */
    private static void load(Target target, int connections, Duration duration) throws InterruptedException {
        LoadGenerator.Result result = LoadGenerator.run(new LoadGenerator.Plan(target, connections, 1,
                LoadGenerator.Warmup.fixed(Duration.ZERO), duration, 0, Duration.ofSeconds(5)), (elapsed, warmingUp, rate, errors) -> { });
        if (result.totalAnswered() == 0) throw new IllegalStateException(target.url() + " answered nothing");
    }
}
