package dev.serverlab.lab.command;

import dev.serverlab.api.ServerEngine;
import dev.serverlab.lab.experiment.Trial;
import dev.serverlab.lab.launch.ServerProcess;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the engine an {@link EngineSelection} names in its own JVM ({@link ServerProcess}), with the same
 * options, for the commands that measure it from outside: bench and c10k. The options are checked here
 * first, so a mistake is reported before a JVM is started.
 */
final class EngineLaunch {

    private EngineLaunch() {
    }

    static ServerProcess start(EngineSelection selection, Integer maxConnections, List<String> jvmArgs) {
        ServerEngine engine = selection.resolveEngine();
        selection.config(engine, 0);
        List<String> args = new ArrayList<>();
        if (selection.workers != null) add(args, "--workers", selection.workers);
        if (selection.gil) args.add("--gil");
        if (selection.switchInterval != null) add(args, "--switch-interval", selection.switchInterval);
        if (selection.offload != null) add(args, "--offload", selection.offload);
        if (selection.loops != null) add(args, "--loops", selection.loops);
        if (selection.accept != null) add(args, "--accept", selection.accept);
        Integer max = maxConnections != null ? maxConnections : selection.maxConnections;
        if (max != null) add(args, "--max-connections", max);
        if (selection.maxBody != null) add(args, "--max-body", selection.maxBody);
        if (selection.idleTimeout != null) add(args, "--idle-timeout", selection.idleTimeout);
        if (selection.headerTimeout != null) add(args, "--header-timeout", selection.headerTimeout);
        if (selection.requestDeadline != null) add(args, "--request-deadline", selection.requestDeadline);
        if (selection.drainTimeout != null) add(args, "--drain-timeout", selection.drainTimeout);
        if (selection.accessLog) args.add("--access-log");
        // The lab's own engine-relevant JVM options first (as compare's servers get them), the user's after: a
        // later -D or -XX of the same name wins.
        List<String> jvm = new ArrayList<>(Trial.jvmArgs());
        jvm.addAll(jvmArgs);
        return ServerProcess.start(engine.name(), args, jvm, Duration.ofSeconds(60));
    }

    private static void add(List<String> args, String name, Object value) {
        args.add(name);
        args.add(String.valueOf(value));
    }
}
