package dev.serverlab.prefork;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;

import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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

    /** This spec as {@code name=value} arguments; each limit under the name of its {@link Limits} component. */
    List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of("index=" + index, "parent=" + parentPid, "host=" + config.host(),
                "port=" + config.port(), "listen=" + config.listen(), "app=" + application.name(), "access-log=" + config.accessLog()));
        try {
            for (RecordComponent limit : Limits.class.getRecordComponents()) {
                args.add(limit.getName() + "=" + limit.getAccessor().invoke(config.limits()));
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return args;
    }

    /** Reads {@link #toArgs()} back; a missing or malformed argument is an {@link IllegalArgumentException}. */
    static WorkerSpec parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected name=value, not '" + arg + "'");
            values.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        RecordComponent[] components = Limits.class.getRecordComponents();
        Object[] limits = new Object[components.length];
        for (int i = 0; i < components.length; i++) limits[i] = value(values, components[i].getName(), components[i].getType());
        Limits parsed;
        try {
            parsed = Limits.class.getConstructor(Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new))
                    .newInstance(limits);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException(e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        EngineConfig config = new EngineConfig(value(values, "host", String.class), value(values, "port", int.class), 0, parsed,
                Map.of(), value(values, "access-log", boolean.class), value(values, "listen", EngineConfig.Listen.class));
        return new WorkerSpec(value(values, "index", int.class), value(values, "parent", long.class), config,
                new ApplicationRecipe(value(values, "app", String.class)));
    }

    /** The argument {@code name}, as a {@code type}: a number, a boolean, an ISO-8601 duration, the listen mode or text. */
    @SuppressWarnings("unchecked")
    private static <T> T value(Map<String, String> values, String name, Class<T> type) {
        String text = values.get(name);
        if (text == null) throw new IllegalArgumentException("missing argument " + name + "=...");
        try {
            if (type == int.class) return (T) Integer.valueOf(text);
            if (type == long.class) return (T) Long.valueOf(text);
            if (type == boolean.class) return (T) Boolean.valueOf(text);
            if (type == Duration.class) return (T) Duration.parse(text);
            if (type == EngineConfig.Listen.class) return (T) EngineConfig.Listen.valueOf(text);
            return (T) text;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " cannot be '" + text + "' (" + type.getSimpleName() + ")", e);
        }
    }
}
