package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;

/**
 * One worker process: it runs the blocking engine (through the SPI) on the socket its parent gave it,
 * and otherwise only does what a child process must.
 *
 * <pre>
 *   main:          blocking.start(listen=INHERITED: fd 0, or REUSE_PORT) ─► print "ready" ─► wait
 *   blocking-...:  the blocking engine's accept loop: accept() ─► serve to completion ─► accept() ...
 *   SIGTERM:       shutdown hook ─► server.close(): stop accepting, drain the request in flight ─► exit
 *   parent watch:  every 250 ms, is my parent still my parent? if not ─► exit (the hook drains)
 * </pre>
 *
 * The parent's death re-parents this worker, which the watch sees: a parent killed with SIGKILL leaves
 * no worker behind. Ctrl-C in a terminal signals the whole process group: a worker ignores it, and the
 * parent stops the workers in order.
 *
 * <p>Exit codes: 143 stopped by SIGTERM (after draining), 0 its parent died, 2 could not start (the
 * reason is on stderr).
 */
public final class PreforkWorker {

    /** The line a worker prints on stdout once it is serving; the parent waits for it. */
    static final String READY = "serverlab-prefork-worker ready";
    static final int EXIT_CANNOT_START = 2;
    private static final Duration PARENT_WATCH = Duration.ofMillis(250);

    private PreforkWorker() {
    }

    public static void main(String[] args) {
        ignoreInterrupt();
        WorkerSpec spec;
        RunningServer server;
        try {
            spec = WorkerSpec.parse(args);
            if (spec.config().listen() == EngineConfig.Listen.INHERITED) keepOutputPastTheListener();
            server = Engines.discover().select("blocking").start(spec.config(), spec.application().create());
        } catch (IOException | RuntimeException e) {
            // The parent shows this line to the user with the exit code: a message, not a stack trace.
            System.err.println("prefork worker cannot start: "
                    + (e instanceof IOException || e instanceof IllegalArgumentException ? e.getMessage() : e.toString()));
            System.exit(EXIT_CANNOT_START);
            return;
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("prefork-" + spec.index() + "-shutdown").unstarted(server::close));
        System.out.println(READY + " pid=" + ProcessHandle.current().pid() + " port=" + server.port());
        System.out.flush();
        watchParent(spec.parentPid());
        System.exit(0);
    }

    /**
     * Closing the listener inherited as fd 0 makes the JDK point fds 0, 1 and 2 at /dev/null
     * ({@code InheritedChannel.detachIOStreams}), and the blocking engine closes it first thing at shutdown:
     * what the worker prints while it drains (its last access-log lines) would be lost. So System.out and
     * System.err write through descriptors of their own, opened now on the same pipes, which the detach
     * leaves alone. Linux's {@code /proc}: the shared socket is Linux's only.
     */
    private static void keepOutputPastTheListener() throws IOException {
        System.setOut(reopen(1, System.out));
        System.setErr(reopen(2, System.err));
    }

    private static PrintStream reopen(int fd, PrintStream stream) throws IOException {
        stream.flush();
        return new PrintStream(new BufferedOutputStream(new FileOutputStream("/proc/self/fd/" + fd, true)), true, stream.charset());
    }

    /**
     * Returns when this worker is re-parented, which is what happens the moment its parent dies. A worker
     * started by hand, not by its recorded parent, is not watched: it runs until SIGTERM.
     */
    private static void watchParent(long parentPid) {
        boolean watched = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == parentPid;
        try {
            while (!watched || ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == parentPid) {
                Thread.sleep(PARENT_WATCH);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A terminal's Ctrl-C signals every process in the foreground group, workers included. Workers
     * ignore it so that only the parent reacts, and stops them in order instead of all at once.
     */
    private static void ignoreInterrupt() {
        // sun.misc.Signal (module jdk.unsupported) through reflection: the JDK's only way to ignore a
        // signal, without the compiler's warning about proprietary API on every build.
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object ignore = handler.getField("SIG_IGN").get(null);
            signal.getMethod("handle", signal, handler).invoke(null, signal.getConstructor(String.class).newInstance("INT"), ignore);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // not available here: Ctrl-C then stops workers directly, and each still drains in its shutdown hook
        }
    }
}
