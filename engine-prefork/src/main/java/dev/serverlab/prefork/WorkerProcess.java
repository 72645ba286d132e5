package dev.serverlab.prefork;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The parent's handle on one worker process: its pipes, its readiness, and how to stop it.
 *
 * <pre>
 *   stdin  ─── the shared listening socket (or nothing, with --reuseport): never a control channel
 *   stdout ──► the "ready" line, then anything else the worker prints, copied to System.out
 *   stderr ──► copied to System.err (its log and access log), last lines kept for error messages
 *   SIGTERM ─► drain and exit (its shutdown hook) · SIGKILL when it has not exited in time
 * </pre>
 */
final class WorkerProcess {

    private static final int STDERR_LINES_KEPT = 20;
    /** How long the copies of a worker's output may take to reach the end of its pipes once it has exited. */
    static final Duration OUTPUT_PATIENCE = Duration.ofSeconds(5);

    private final int index;
    private final int port;
    private final Process process;
    private final long launchedNanos = System.nanoTime();
    private final CompletableFuture<Instant> ready = new CompletableFuture<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private final List<Thread> pumps;

    private WorkerProcess(int index, int port, Process process) {
        this.index = index;
        this.port = port;
        this.process = process;
        this.pumps = List.of(pump("out", process.getInputStream(), this::onStdout), pump("err", process.getErrorStream(), this::onStderr));
    }

    /** Takes over a worker just started; it is not serving until {@link #awaitReady} returns. */
    static WorkerProcess launch(int index, int port, Process process) throws IOException {
        process.getOutputStream().close();   // nothing is ever written to a worker's stdin
        WorkerProcess worker = new WorkerProcess(index, port, process);
        worker.pumps.forEach(Thread::start);
        return worker;
    }

    int index() {
        return index;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** When it reported ready, or null while it has not. */
    Instant readyAt() {
        return ready.isDone() && !ready.isCompletedExceptionally() ? ready.join() : null;
    }

    CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    /**
     * Waits for the worker's "ready" line, at most {@code startTimeout} from its launch. On failure the
     * worker is killed and the exception says why, with the end of its stderr.
     */
    void awaitReady(Duration startTimeout) throws IOException {
        try {
            ready.get(Math.max(0, launchedNanos + startTimeout.toNanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            kill();
            throw failure("did not report ready within " + startTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            kill();
            throw failure(e.getCause().getMessage());
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while prefork worker " + index + " was starting");
        }
    }

    /**
     * Asks the worker to drain and exit: SIGTERM, which runs its shutdown hook. Through its handle:
     * {@code Process.destroy()} would also close our ends of its pipes, and what it prints while it drains
     * would be lost.
     */
    void requestStop() {
        process.toHandle().destroy();
    }

    /** Waits until the worker exits, at most until {@code deadline} (a {@link System#nanoTime()}). */
    boolean awaitExit(long deadline) {
        try {
            return process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** Ends the worker now, by its pid, and waits until it is gone. */
    void kill() {
        process.toHandle().destroyForcibly();
        awaitExit(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
    }

    /** Waits, until {@code deadline} (a {@link System#nanoTime()}) at most, for the copies of its output to end. */
    void awaitOutput(long deadline) {
        try {
            for (Thread pump : pumps) pump.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void onStdout(String line) {
        if (!ready.isDone() && line.startsWith(PreforkWorker.READY)) {
            if (line.endsWith(" port=" + port)) ready.complete(Instant.now());
            else ready.completeExceptionally(new IOException("reported the wrong port: " + line));
            return;
        }
        System.out.println(line);
    }

    private void onStderr(String line) {
        synchronized (stderrTail) {
            if (stderrTail.size() == STDERR_LINES_KEPT) stderrTail.removeFirst();
            stderrTail.addLast(line);
        }
        System.err.println(line);
    }

    private void onOutputEnd() {
        // The worker closed stdout: it exited (or is exiting) without ever saying it was ready.
        if (!ready.isDone()) {
            process.onExit().thenRun(() -> ready.completeExceptionally(
                    new IOException("exited with code " + process.exitValue() + " before it was ready")));
        }
    }

    private IOException failure(String what) {
        awaitOutput(System.nanoTime() + OUTPUT_PATIENCE.toNanos());
        String tail;
        synchronized (stderrTail) {
            tail = stderrTail.isEmpty() ? "(nothing on stderr)" : String.join(System.lineSeparator(), stderrTail);
        }
        return new IOException("prefork worker " + index + " (pid " + pid() + ") " + what
                + "; its stderr ends with:" + System.lineSeparator() + tail);
    }

    private Thread pump(String stream, InputStream from, Consumer<String> each) {
        return Thread.ofPlatform().daemon().name("prefork-" + index + "-" + stream).unstarted(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) each.accept(line);
            } catch (IOException ignored) {
                // the pipe broke: the worker is gone
            } finally {
                if (stream.equals("out")) onOutputEnd();
            }
        });
    }

    @Override
    public String toString() {
        return "prefork worker " + index + " (pid " + pid() + ")";
    }
}
