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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The parent's side of a prefork server: it starts the workers, replaces those that die, and stops
 * them all on close. It serves no request itself.
 *
 * <pre>
 *   slot i:  LAUNCHED ─"ready"─► SERVING ─exits─► (backoff) ─► LAUNCHED ...      close(): every slot
 *               └─ no "ready" in time, or exit ─► killed ─► (backoff) ─► LAUNCHED    ─► STOPPING ─► gone
 * </pre>
 */
final class Supervisor implements RunningServer {

    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    /** How long a worker JVM may take to start listening: generous, for busy machines. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** After the drain timeout, how long a worker may take to exit before it is killed. */
    private static final Duration EXIT_GRACE = Duration.ofSeconds(5);
    /** A worker that served this long before dying was healthy: its replacement starts at once. */
    private static final Duration STABLE = Duration.ofSeconds(10);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final EngineConfig config;
    private final ApplicationRecipe application;
    private final PortReservation reservation;
    private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("prefork-supervisor").factory());
    private final CountDownLatch closed = new CountDownLatch(1);

    private final Object lock = new Object();
    /** The current process of each slot, by index - 1; guarded by {@link #lock}. */
    private final WorkerProcess[] workers;
    /** Quick deaths and failed starts in a row, per slot; only the restart thread touches it. */
    private final int[] failures;
    /** Guarded by {@link #lock}. */
    private boolean closing;

    private Supervisor(EngineConfig config, int count, ApplicationRecipe application, PortReservation reservation) {
        this.config = config;
        this.application = application;
        this.reservation = reservation;
        this.workers = new WorkerProcess[count];
        this.failures = new int[count];
    }

    /**
     * Starts {@code count} workers on the reserved port and returns once every one is listening. On
     * failure, every worker started is stopped, the reservation released, and the exception says why.
     */
    static Supervisor start(EngineConfig config, int count, ApplicationRecipe application, PortReservation reservation) throws IOException {
        Supervisor supervisor = new Supervisor(config.withPort(reservation.port()), count, application, reservation);
        try {
            List<WorkerProcess> started = new ArrayList<>();
            for (int index = 1; index <= count; index++) started.add(supervisor.launch(index));
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            for (WorkerProcess worker : started) {
                worker.awaitReady(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
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
            WorkerProcess worker = WorkerProcess.launch(index, config.port(), spec.command());
            workers[index - 1] = worker;
            return worker;
        }
    }

    private void watch(WorkerProcess worker) {
        worker.onExit().thenRun(() -> onExit(worker));
    }

    private void onExit(WorkerProcess worker) {
        synchronized (lock) {
            if (closing || workers[worker.index() - 1] != worker) return;
        }
        try {
            restarts.execute(() -> {
                int slot = worker.index() - 1;
                Instant readyAt = worker.readyAt();
                boolean quick = readyAt == null || Duration.between(readyAt, Instant.now()).compareTo(STABLE) < 0;
                failures[slot] = quick ? failures[slot] + 1 : 0;
                int code = worker.onExit().join().exitValue();
                log.warn("{} exited with code {}; starting a new one", worker, code);
                scheduleReplacement(worker.index());
            });
        } catch (RejectedExecutionException e) {
            // close() began after the check above: nothing to replace
        }
    }

    private void scheduleReplacement(int index) {
        long delay = backoff(failures[index - 1]).toMillis();
        try {
            restarts.schedule(() -> replace(index), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing: nothing to replace
        }
    }

    /** Starts again at once after a death or two; then waits longer each time, so a crash loop stays cheap. */
    static Duration backoff(int failures) {
        if (failures <= 1) return Duration.ZERO;
        Duration delay = Duration.ofMillis(250L << Math.min(failures - 2, 7));
        return delay.compareTo(MAX_BACKOFF) < 0 ? delay : MAX_BACKOFF;
    }

    private void replace(int index) {
        WorkerProcess worker = null;
        try {
            worker = launch(index);
            if (worker == null) return;
            worker.awaitReady(START_TIMEOUT);
            log.info("{} started in place of the one that exited", worker);
            watch(worker);
        } catch (IOException | RuntimeException e) {
            if (isClosing()) return;
            failures[index - 1]++;
            log.warn("{} could not start again, retrying in {} ms: {}", worker != null ? worker : "prefork worker " + index,
                    backoff(failures[index - 1]).toMillis(), e.getMessage());
            scheduleReplacement(index);
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

    @Override
    public InetSocketAddress address() {
        return reservation.address();
    }

    @Override
    public String details() {
        return "workers=" + workers.length + " pids=" + workerPids().stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /**
     * Asks every worker to stop, lets each drain its connection in flight, kills those still running
     * after the drain timeout and a grace period, then releases the port.
     */
    @Override
    public void close() {
        List<WorkerProcess> stopping;
        boolean first;
        synchronized (lock) {
            first = !closing;
            closing = true;
            stopping = Arrays.stream(workers).filter(Objects::nonNull).toList();
        }
        if (!first) {
            awaitClosed();
            return;
        }
        restarts.shutdownNow();
        for (WorkerProcess worker : stopping) worker.requestStop();
        long deadline = System.nanoTime() + config.limits().drainTimeout().plus(EXIT_GRACE).toNanos();
        for (WorkerProcess worker : stopping) {
            if (!worker.awaitExit(deadline)) {
                log.warn("{} did not stop within the drain timeout; killing it", worker);
                worker.kill();
            }
        }
        for (WorkerProcess worker : stopping) worker.awaitOutput();
        try {
            restarts.awaitTermination(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reservation.close();
        closed.countDown();
    }

    private void awaitClosed() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
