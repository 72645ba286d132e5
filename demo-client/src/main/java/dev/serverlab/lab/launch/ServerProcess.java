package dev.serverlab.lab.launch;

import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.load.Target;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An engine served by {@code ./lab serve} in a fresh JVM, started from the same java and class path as
 * this one, so no JIT or GC state leaks from one engine to the next; with the lab's start-up cache when
 * there is one ({@link StartupCache}). Closing it stops the server
 * gracefully (SIGTERM), then by force after a grace period, and ends every process it started, by PID.
 * A shutdown hook does the same on Ctrl-C.
 */
public final class ServerProcess implements AutoCloseable {

    /** The lab's main class, which the child JVM runs; named, not referenced, so that launching does not depend on the commands. */
    public static final String LAB_MAIN = "dev.serverlab.lab.Lab";


    /** What {@link ServeCommand} prints once it listens; the port is read from it. */
    private static final Pattern SERVING = Pattern.compile("serving on http://([^\\s;/]+):(\\d+)(?: \\((.*)\\))?;");
    private static final Set<ServerProcess> LIVE = ConcurrentHashMap.newKeySet();
    /** Output lines kept: enough for a test to read a burst's access log, bounded for long runs. */
    private static final int KEPT_LINES = 5000;

    /** How long close() lets a server finish what it is doing before it is killed. */
    private static final Duration GRACE = Duration.ofSeconds(15);
    /** On Ctrl-C the user is waiting and the measurement is void: a short grace, then kill. */
    private static final Duration INTERRUPTED_GRACE = Duration.ofSeconds(3);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(s -> s.close(INTERRUPTED_GRACE)), "lab-stop-servers"));
    }

    private final Process process;
    private final String engine;
    private final Deque<String> output = new ArrayDeque<>();
    private final CountDownLatch listening = new CountDownLatch(1);
    private volatile int port = -1;
    private volatile String details = "";
    private Thread pump;

    private ServerProcess(Process process, String engine) {
        this.process = process;
        this.engine = engine;
    }

    /**
     * Starts {@code ./lab serve --engine ENGINE --port 0 ARGS...} in a new JVM and waits until it listens.
     *
     * @throws UserError when it exits or does not listen within {@code timeout}; the message holds its last output
     */
    public static ServerProcess start(String engine, List<String> serveArgs, List<String> jvmArgs, Duration timeout) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        command.addAll(StartupCache.jvmArgs(jvmArgs));   // before the caller's, which may override it
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(LAB_MAIN);
        command.add("serve");
        command.add("--engine");
        command.add(engine);
        command.add("--port");
        command.add("0");
        command.addAll(serveArgs);
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UserError(ExitCode.UNAVAILABLE, "cannot start a JVM for engine '" + engine + "': " + e.getMessage());
        }
        ServerProcess server = new ServerProcess(process, engine);
        LIVE.add(server);
        server.pump = Thread.ofPlatform().daemon().name("lab-server-output-" + process.pid()).start(server::pump);
        try {
            boolean ready = server.listening.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && server.port > 0;
            if (!ready) {
                // the output ended: the process is exiting, give it a moment to report its code
                boolean exited = server.listening.getCount() == 0 && process.waitFor(2, TimeUnit.SECONDS);
                server.close();
                String what = exited ? "exited with code " + process.exitValue() + " before listening"
                        : "did not start listening within " + timeout.toSeconds() + " s";
                throw new UserError(ExitCode.UNAVAILABLE, "engine '" + engine + "' " + what + "; its last output:\n" + server.lastOutput());
            }
        } catch (InterruptedException e) {
            server.close();
            Thread.currentThread().interrupt();
            throw new UserError(ExitCode.FAILED, "interrupted while starting engine '" + engine + "'");
        }
        return server;
    }

    private void pump() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (output) {
                    output.addLast(line);
                    if (output.size() > KEPT_LINES) output.removeFirst();
                }
                Matcher m = SERVING.matcher(line);
                if (port < 0 && m.find()) {
                    details = m.group(3) == null ? "" : m.group(3);
                    port = Integer.parseInt(m.group(2));
                    listening.countDown();
                }
            }
        } catch (IOException ignored) {
            // the process ended
        } finally {
            listening.countDown();
        }
    }

    public String engine() {
        return engine;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** What the server said about its model when it started, such as {@code transport=epoll}. */
    public String details() {
        return details;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits up to {@code timeout} for the process to end; true when it has. A crash takes a moment to be seen. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The exit code, once it has exited. */
    public int exitCode() {
        return process.exitValue();
    }

    /** A target on this server's loopback port. */
    public Target target(String path) {
        return new Target("127.0.0.1", port, path);
    }

    /** The last lines the server printed, for error messages. */
    public String lastOutput() {
        List<String> lines = output();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 50), lines.size()));
    }

    /** What the server printed so far (its last {@value #KEPT_LINES} lines), such as its access log. */
    public List<String> output() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    /** Stops the server gracefully, then by force; ends every process it started. Idempotent. */
    @Override
    public void close() {
        close(GRACE);
    }

    private void close(Duration grace) {
        if (!LIVE.remove(this) && !process.isAlive()) return;
        List<ProcessHandle> descendants = process.descendants().toList();
        // SIGTERM through the handle: Process.destroy() would also close our end of the server's output,
        // and what it prints while shutting down (its last requests, "stopped") would be lost.
        process.toHandle().destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle child : descendants) {
            if (child.isAlive()) child.destroyForcibly();
        }
        try {
            pump.join(Duration.ofSeconds(5)); // so that output() holds the server's last words
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
