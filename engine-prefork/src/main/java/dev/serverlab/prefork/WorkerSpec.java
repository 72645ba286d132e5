package dev.serverlab.prefork;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one worker process needs, carried on its command line as {@code name=value} arguments,
 * so that a worker can also be started by hand to see what it does.
 *
 * @param index       the worker's number, from 1; it names the worker's thread
 * @param parentPid   the supervising process, which the worker outlives by no more than a moment
 * @param config      host, port (never 0: the parent has chosen it), limits, access log, and where the
 *                    worker's socket comes from (inherited, or its own SO_REUSEPORT socket)
 * @param application how the worker builds its application
 */
record WorkerSpec(int index, long parentPid, EngineConfig config, ApplicationRecipe application) {

    /** System properties a worker inherits: they configure logging and the network stack the same way. */
    private static final List<String> INHERITED_PROPERTIES = List.of(
            "org.slf4j.", "slf4j.", "logback.", "java.util.logging.", "serverlab.",
            "java.net.preferIPv4Stack", "java.net.preferIPv6Addresses");

    /** JVM options of the parent that a worker gets too: memory, the CPUs it believes it has, native access. */
    private static final List<String> INHERITED_JVM_OPTIONS = List.of(
            "-Xmx", "-Xms", "-Xss", "-XX:MaxRAM", "-XX:InitialRAM", "-XX:ActiveProcessorCount=", "--enable-native-access");

    /**
     * The full command that starts this worker: the parent's own java, with the parent's class path
     * (or module path), so that the worker runs exactly the code the parent does.
     */
    List<String> command() {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // One thread serves in a worker: a parallel collector's threads would only compete for the cores.
        command.add("-XX:+UseSerialGC");
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(option -> INHERITED_JVM_OPTIONS.stream().anyMatch(option::startsWith))
                .forEach(command::add);
        // The parent reads the worker's output as UTF-8, whatever the machine's locale says.
        command.add("-Dstdout.encoding=UTF-8");
        command.add("-Dstderr.encoding=UTF-8");
        System.getProperties().stringPropertyNames().stream().sorted()
                .filter(name -> INHERITED_PROPERTIES.stream().anyMatch(name::startsWith))
                .forEach(name -> command.add("-D" + name + "=" + System.getProperty(name)));
        String classPath = System.getProperty("java.class.path", "");
        Module module = PreforkWorker.class.getModule();
        if (module.isNamed()) {
            command.add("--module-path");
            command.add(System.getProperty("jdk.module.path", ""));
            command.add("--add-modules");
            command.add("ALL-MODULE-PATH");
            if (!classPath.isEmpty()) {
                command.add("--class-path");
                command.add(classPath);
            }
            command.add("--module");
            command.add(module.getName() + "/" + PreforkWorker.class.getName());
        } else {
            if (classPath.isEmpty()) {
                throw new ConfigException("prefork starts its workers from this JVM's class path, and java.class.path is empty");
            }
            command.add("--class-path");
            command.add(classPath);
            command.add(PreforkWorker.class.getName());
        }
        command.addAll(toArgs());
        return command;
    }

    List<String> toArgs() {
        Limits l = config.limits();
        List<String> args = new ArrayList<>();
        args.add("index=" + index);
        args.add("parent=" + parentPid);
        args.add("host=" + config.host());
        args.add("port=" + config.port());
        args.add("listen=" + config.listen());
        args.add("app=" + application.name());
        args.add("access-log=" + config.accessLog());
        args.add("max-request-line-bytes=" + l.maxRequestLineBytes());
        args.add("max-header-bytes=" + l.maxHeaderBytes());
        args.add("max-header-count=" + l.maxHeaderCount());
        args.add("max-body-bytes=" + l.maxBodyBytes());
        args.add("idle-timeout=" + l.idleTimeout());
        args.add("header-read-timeout=" + l.headerReadTimeout());
        args.add("max-connections=" + l.maxConnections());
        args.add("request-deadline=" + l.requestDeadline());
        args.add("drain-timeout=" + l.drainTimeout());
        return args;
    }

    /** Reads {@link #toArgs()} back; a missing or malformed argument is an {@link IllegalArgumentException}. */
    static WorkerSpec parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected name=value, not '" + arg + "'");
            values.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Arguments a = new Arguments(values);
        Limits limits = new Limits(
                a.integer("max-request-line-bytes"), a.integer("max-header-bytes"), a.integer("max-header-count"),
                a.number("max-body-bytes"), a.duration("idle-timeout"), a.duration("header-read-timeout"),
                a.integer("max-connections"), a.duration("request-deadline"), a.duration("drain-timeout"));
        String listenName = a.text("listen");
        EngineConfig.Listen listen;
        try {
            listen = EngineConfig.Listen.valueOf(listenName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("listen must be one of " + java.util.Arrays.toString(EngineConfig.Listen.values()));
        }
        EngineConfig config = new EngineConfig(a.text("host"), a.integer("port"), 0, limits, Map.of(),
                Boolean.parseBoolean(a.text("access-log")), listen);
        return new WorkerSpec(a.integer("index"), a.number("parent"), config, new ApplicationRecipe(a.text("app")));
    }

    private record Arguments(Map<String, String> values) {
        String text(String name) {
            String v = values.get(name);
            if (v == null) throw new IllegalArgumentException("missing argument " + name + "=...");
            return v;
        }

        long number(String name) {
            try {
                return Long.parseLong(text(name));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a number, not '" + values.get(name) + "'");
            }
        }

        int integer(String name) {
            return Math.toIntExact(number(name));
        }

        Duration duration(String name) {
            try {
                return Duration.parse(text(name));
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException(name + " must be an ISO-8601 duration such as PT10S, not '" + values.get(name) + "'");
            }
        }
    }
}
