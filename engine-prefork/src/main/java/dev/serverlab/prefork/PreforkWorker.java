package dev.serverlab.prefork;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.http.Timing;
import dev.serverlab.api.server.AccessLog;
import dev.serverlab.api.server.BlockingConnection;
import dev.serverlab.api.server.Connections;
import dev.serverlab.api.server.CpuRunner;
import dev.serverlab.api.server.Listener;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One worker process: the serial server of the original experiment, on its own SO_REUSEPORT socket.
 *
 * <pre>
 *   main thread:    bind(port, SO_REUSEPORT) ─► print "ready" ─► read stdin ─► "stop" or EOF ─► stop ─► exit 0
 *   prefork-N:      accept() ─► serve the connection to completion ─► accept() ...
 *   parent watch:   every second, is my parent still my parent? if not ─► stop ─► exit 0
 * </pre>
 *
 * Stopping closes the listening socket, lets the request in flight finish (within the drain timeout),
 * then exits. The parent's death closes this worker's stdin, so a parent killed with SIGKILL leaves no
 * worker behind; the parent watch is a second line of defence. Ctrl-C in a terminal signals the whole
 * process group: a worker ignores it, and the parent stops the workers in order.
 *
 * <p>Exit codes: 0 stopped, 2 could not start (the reason is on stderr), 70 the accept loop failed.
 */
public final class PreforkWorker {

    /** The line a worker prints on stdout once its socket is listening; the parent waits for it. */
    static final String READY = "serverlab-prefork-worker ready";
    static final int EXIT_CANNOT_START = 2;
    static final int EXIT_BROKEN = 70;

    private final WorkerSpec spec;
    private final ServerSocket listener;
    private final Application application;
    private final Connections connections = new Connections();
    private final AccessLog accessLog;
    private final Thread acceptor;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private PreforkWorker(WorkerSpec spec, ServerSocket listener, Application application) {
        this.spec = spec;
        this.listener = listener;
        this.application = application;
        this.accessLog = new AccessLog(spec.config().accessLog());
        this.acceptor = Thread.ofPlatform().name("prefork-" + spec.index()).unstarted(this::acceptLoop);
    }

    public static void main(String[] args) {
        WorkerSpec spec;
        PreforkWorker worker;
        try {
            spec = WorkerSpec.parse(args);
            Application application = spec.application().create();
            ServerSocket listener = Listener.serverSocket(spec.config(), true);
            worker = new PreforkWorker(spec, listener, application);
        } catch (IOException | RuntimeException e) {
            // The parent shows this line to the user with the exit code: a message, not a stack trace.
            System.err.println("prefork worker cannot start: " + (e instanceof ConfigException || e instanceof IOException
                    || e instanceof IllegalArgumentException ? e.getMessage() : e.toString()));
            System.exit(EXIT_CANNOT_START);
            return;
        }
        worker.run();
    }

    private void run() {
        ignoreInterrupt();
        acceptor.start();
        // SIGTERM (an operator's kill) still stops a worker gracefully, and its parent starts a new one.
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("prefork-" + spec.index() + "-shutdown").unstarted(this::stop));
        watchParent();
        System.out.println(READY + " pid=" + ProcessHandle.current().pid() + " port=" + listener.getLocalPort());
        System.out.flush();
        awaitStopCommand();
        stop();
        System.exit(0);
    }

    private void acceptLoop() {
        try {
            while (!stopping.get()) {
                Socket socket;
                try {
                    socket = listener.accept();
                } catch (IOException e) {
                    if (stopping.get()) return;
                    pause();   // a failed accept (a reset client, no file descriptors left): try again shortly
                    continue;
                }
                long accepted = Timing.nowMicros();
                accessLog.accepted(socket.getRemoteSocketAddress());
                new BlockingConnection(socket, accepted, application, CpuRunner.INLINE,
                        spec.config().limits(), connections, accessLog).run();
            }
        } catch (RuntimeException | Error e) {
            if (stopping.get()) return;
            // This worker can no longer serve; exiting lets the parent start a fresh one.
            System.err.println("prefork worker " + spec.index() + " failed and exits: " + e);
            Runtime.getRuntime().halt(EXIT_BROKEN);
        }
    }

    /**
     * Stops accepting, drains the connection in flight, and returns when done. Safe to call from any
     * thread, any number of times: later calls wait for the first to finish.
     */
    private void stop() {
        if (!stopping.compareAndSet(false, true)) {
            awaitStopped();
            return;
        }
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing is best effort; the process is about to exit anyway
        }
        connections.drain(spec.config().limits().drainTimeout());
        try {
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped.countDown();
    }

    private void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Blocks until the parent says "stop" or its end of the pipe closes (it stopped us, or it died). */
    private static void awaitStopCommand() {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.trim().equals("stop")) return;
            }
        } catch (IOException e) {
            // a broken pipe means the same as end of file: nobody supervises us any more
        }
    }

    /**
     * Stops the worker when it is re-parented, which is what happens the moment its parent dies. Only
     * used when the parent is our direct parent (it is when started by the JDK's ProcessBuilder).
     */
    private void watchParent() {
        if (ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) != spec.parentPid()) return;
        Thread.ofPlatform().daemon().name("prefork-" + spec.index() + "-parent-watch").start(() -> {
            while (ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == spec.parentPid()) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            stop();
            System.exit(0);
        });
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

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
