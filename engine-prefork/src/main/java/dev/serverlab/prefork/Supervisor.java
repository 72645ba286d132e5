package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.RunningServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The parent's side of a prefork server: it starts the workers, replaces those that die, and stops
 * them all on close. It serves no request itself.
 *
 * <pre>
 *   slot i:  LAUNCHED ─"ready"─► SERVING ─exits─► (back-off) ─► LAUNCHED ...     close(): SIGTERM to every
 *               └─ no "ready" in time, or exit ─► killed ─► (back-off) ─► LAUNCHED   worker ─► drain ─► exit
 *                                                                                    (SIGKILL after the grace)
 * </pre>
 */
final class Supervisor implements RunningServer {

    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    /** One replacement the supervisor scheduled: for {@code slot}, after {@code failures} quick deaths in a row. */
    record Restart(int slot, int failures, Duration delay) {
    }

    private final EngineConfig config;
    private final ApplicationRecipe application;
    private final WorkerListener listener;
    private final Supervision supervision;
    private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("prefork-supervisor").factory());
    private final AtomicInteger forcedKills = new AtomicInteger();

    private final Object lock = new Object();
    /** The current process of each slot, by index - 1; guarded by {@link #lock}. */
    private final WorkerProcess[] workers;
    /** Every worker process ever started, and every replacement scheduled; guarded by {@link #lock}. */
    private final List<Long> spawned = new ArrayList<>();
    private final List<Restart> restartLog = new ArrayList<>();
    /** Quick deaths and failed starts in a row, per slot; guarded by {@link #lock}. */
    private final int[] failures;
    /** Guarded by {@link #lock}. */
    private boolean closing;

    private Supervisor(EngineConfig config, int count, ApplicationRecipe application, WorkerListener listener, Supervision supervision) {
        this.config = config;
        this.application = application;
        this.listener = listener;
        this.supervision = supervision;
        this.workers = new WorkerProcess[count];
        this.failures = new int[count];
    }

    /**
     * Starts {@code count} workers on {@code listener} and returns once every one is serving. On failure,
     * every worker started is stopped, the listener released, and the exception says why.
     */
    static Supervisor start(EngineConfig config, int count, ApplicationRecipe application, WorkerListener listener,
                            Supervision supervision) throws IOException {
        EngineConfig workerConfig = config.withPort(listener.address().getPort()).withListen(listener.workerListen());
        Supervisor supervisor = new Supervisor(workerConfig, count, application, listener, supervision);
        try {
            List<WorkerProcess> started = new ArrayList<>();
            for (int index = 1; index <= count; index++) started.add(supervisor.launch(index));
            for (WorkerProcess worker : started) worker.awaitReady(supervision.startTimeout());
            for (WorkerProcess worker : started) supervisor.watch(worker);
            return supervisor;
        } catch (IOException | RuntimeException e) {
            supervisor.close();
            throw e;
        }
    }

    /** Starts the process of one slot, unless the server is closing (then null). */
    private WorkerProcess launch(int index) throws IOException {
        WorkerSpec spec = new WorkerSpec(index, ProcessHandle.current().pid(), config, application);
        synchronized (lock) {
            if (closing) return null;
            WorkerProcess worker = WorkerProcess.launch(index, config.port(), listener.spawn(new ProcessBuilder(spec.command())));
            workers[index - 1] = worker;
            spawned.add(worker.pid());
            return worker;
        }
    }

    private void watch(WorkerProcess worker) {
        worker.onExit().thenRun(() -> onExit(worker));
    }

    private void onExit(WorkerProcess worker) {
        Instant readyAt = worker.readyAt();
        boolean quick = readyAt == null || Duration.between(readyAt, Instant.now()).compareTo(supervision.stable()) < 0;
        synchronized (lock) {
            if (closing || workers[worker.index() - 1] != worker) return;
        }
        log.warn("{} exited with code {}; starting a new one", worker, worker.onExit().join().exitValue());
        replaceLater(worker.index(), quick);
    }

    /** Starts a new process in slot {@code index}: at once, or after a back-off when its last one failed too. */
    private void replaceLater(int index, boolean failed) {
        synchronized (lock) {   // close() sets closing under this lock before it shuts the executor down
            if (closing) return;
            failures[index - 1] = failed ? failures[index - 1] + 1 : 0;
            Duration delay = supervision.backoff(failures[index - 1]);
            restartLog.add(new Restart(index, failures[index - 1], delay));
            restarts.schedule(() -> replace(index), delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void replace(int index) {
        WorkerProcess worker = null;
        try {
            worker = launch(index);
            if (worker == null) return;
            worker.awaitReady(supervision.startTimeout());
            log.info("{} started in place of the one that exited", worker);
            watch(worker);
        } catch (IOException | RuntimeException e) {
            if (isClosing()) return;
            log.warn("{} could not start again: {}", worker != null ? worker : "prefork worker " + index, e.getMessage());
            replaceLater(index, true);
        }
    }

    private boolean isClosing() {
        synchronized (lock) {
            return closing;
        }
    }

    /** The pids of the workers that are serving now, in slot order. */
    List<Long> workerPids() {
        synchronized (lock) {
            List<Long> pids = new ArrayList<>();
            for (WorkerProcess w : workers) {
                if (w != null && w.readyAt() != null && w.isAlive()) pids.add(w.pid());
            }
            return pids;
        }
    }

    /** Every worker process this server started, serving or not, dead or alive: what tests check is gone. */
    List<Long> spawnedPids() {
        synchronized (lock) {
            return List.copyOf(spawned);
        }
    }

    List<Restart> restarts() {
        synchronized (lock) {
            return List.copyOf(restartLog);
        }
    }

    /** Workers killed because they had not exited by the end of the drain timeout and the grace. */
    int forcedKills() {
        return forcedKills.get();
    }

    @Override
    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public String details() {
        String accept = listener.workerListen() == EngineConfig.Listen.INHERITED ? PreforkEngine.SHARED : PreforkEngine.REUSEPORT;
        return "workers=" + workers.length + " accept=" + accept + " pids="
                + workerPids().stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /**
     * Sends every worker SIGTERM, lets each drain its connection in flight, kills those still running
     * after the drain timeout and the grace period, then releases the socket.
     */
    @Override
    public synchronized void close() {
        List<WorkerProcess> stopping;
        synchronized (lock) {
            if (closing) return;
            closing = true;
            stopping = Arrays.stream(workers).filter(Objects::nonNull).toList();
        }
        restarts.shutdownNow();
        for (WorkerProcess worker : stopping) worker.requestStop();
        long deadline = System.nanoTime() + config.limits().drainTimeout().plus(supervision.exitGrace()).toNanos();
        for (WorkerProcess worker : stopping) {
            if (!worker.awaitExit(deadline)) {
                log.warn("{} did not stop within the drain timeout; killing it", worker);
                forcedKills.incrementAndGet();
                worker.kill();
            }
        }
        // What a worker printed while it drained is still in its pipes: copy it out before returning.
        long outputDeadline = System.nanoTime() + WorkerProcess.OUTPUT_PATIENCE.toNanos();
        for (WorkerProcess worker : stopping) worker.awaitOutput(outputDeadline);
        try {
            restarts.awaitTermination(supervision.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listener.close();
    }
}
