package dev.serverlab.api.conformance;

import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.app.Safepoint;
import dev.serverlab.api.app.Workloads;

import java.time.Duration;
import java.util.concurrent.Exchanger;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An application that makes a concurrency model show itself through rendezvous, not through timings, so a
 * verdict is the same on a quiet machine and on a starved one:
 *
 * <pre>
 *   /pair/{ms}     a CPU step that waits up to ms for a second request in its CPU step at the same time:
 *                  "paired" if one came, "alone" if not. A model that runs CPU steps one at a time can
 *                  never pair; one that runs them side by side always does (given patience).
 *   /gather/{n}    waits (as timers, Reply.sleep) until n requests have arrived, then answers "gathered";
 *                  "alone" if they do not all arrive within 30 s. Only a model whose waits hold no
 *                  thread can have n waiting at once with a few threads.
 *   /wait          waits (as timers, Reply.sleep) until {@link #release()}: "released", or "alone" after 30 s.
 *   /meet/{n}      a CPU step that waits until n requests are in their CPU step at once: "met", or "alone"
 *                  after 30 s. Only a model with n threads computing side by side can answer "met".
 *   /turns/{n}/{f} a CPU step that computes fib(f) again and again, polling the safepoint, until n requests
 *                  have entered it and each has got the CPU back from another three times: "took turns",
 *                  or "alone" after 30 s. Under a GIL that hands over at its safepoints, every request gets
 *                  there; a lock that never hands over keeps the others out, and the first one gives up.
 *   /hold          a CPU step that spins (never yielding its thread; polling the safepoint, where a GIL may
 *                  hand over) until {@link #release()}: "released", or "alone" after 30 s. {@link #holding()} says how many are spinning: with as many as there
 *                  are carriers, a virtual thread that has yet to run waits for one.
 * </pre>
 *
 * {@link #peakInCpu()} is the most CPU steps that ran at once. Anything else is the experiment's application.
 * Public with a public constructor, so that engines serving from other processes could create it.
 */
public final class ShapeApplication implements Application {

    private static final Duration GATHER_PATIENCE = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(20);

    private final Exchanger<Boolean> partner = new Exchanger<>();
    private final AtomicInteger inCpu = new AtomicInteger();
    private final AtomicInteger peakInCpu = new AtomicInteger();
    private final AtomicInteger arrived = new AtomicInteger();
    private final AtomicInteger holding = new AtomicInteger();
    private volatile boolean released;
    private final AtomicInteger meeting = new AtomicInteger();
    private volatile boolean met;
    private final AtomicInteger takingTurns = new AtomicInteger();
    private final AtomicInteger turnsSatisfied = new AtomicInteger();
    private volatile Object lastInTurn;

    @Override
    public Reply handle(Request request) {
        String path = request.path();
        if (path.startsWith("/pair/")) {
            long patience = Long.parseLong(path.substring("/pair/".length()));
            return Reply.compute(safepoint -> Reply.of(Response.ok(pair(patience) + "\n")));
        }
        if (path.startsWith("/gather/")) {
            int n = Integer.parseInt(path.substring("/gather/".length()));
            arrived.incrementAndGet();
            long giveUp = System.nanoTime() + GATHER_PATIENCE.toNanos();
            return gather(n, giveUp).get();
        }
        if (path.equals("/wait")) {
            return waitForRelease(System.nanoTime() + GATHER_PATIENCE.toNanos()).get();
        }
        if (path.equals("/hold")) {
            return Reply.compute(safepoint -> Reply.of(Response.ok(hold(safepoint) + "\n")));
        }
        if (path.startsWith("/meet/")) {
            int n = Integer.parseInt(path.substring("/meet/".length()));
            return Reply.compute(safepoint -> Reply.of(Response.ok(meet(n) + "\n")));
        }
        if (path.startsWith("/turns/")) {
            String[] nf = path.substring("/turns/".length()).split("/");
            int n = Integer.parseInt(nf[0]);
            int f = Integer.parseInt(nf[1]);
            return Reply.compute(safepoint -> Reply.of(Response.ok(turns(n, f, safepoint) + "\n")));
        }
        return Application.experiment().handle(request);
    }

    private Supplier<Reply> waitForRelease(long giveUpNanos) {
        return () -> {
            if (released) return Reply.of(Response.ok("released\n"));
            if (System.nanoTime() - giveUpNanos > 0) return Reply.of(Response.ok("alone\n"));
            return Reply.sleep(POLL, waitForRelease(giveUpNanos));
        };
    }

    private String hold(Safepoint safepoint) {
        long giveUp = System.nanoTime() + GATHER_PATIENCE.toNanos();
        holding.incrementAndGet();
        try {
            while (!released) {
                if (System.nanoTime() - giveUp > 0) return "alone";
                Thread.onSpinWait();
                safepoint.poll();
            }
            return "released";
        } finally {
            holding.decrementAndGet();
        }
    }

    /** How many {@code /hold} steps are spinning now. */
    public int holding() {
        return holding.get();
    }

    /** Lets every {@code /hold} and {@code /wait}, now and later, finish. */
    public void release() {
        released = true;
    }

    private String meet(int n) {
        long giveUp = System.nanoTime() + GATHER_PATIENCE.toNanos();
        if (meeting.incrementAndGet() >= n) met = true;
        try {
            while (!met) {
                if (System.nanoTime() - giveUp > 0) return "alone";
                Thread.onSpinWait();
            }
            return "met";
        } finally {
            meeting.decrementAndGet();
        }
    }

    private String turns(int n, int f, Safepoint safepoint) {
        long giveUp = System.nanoTime() + GATHER_PATIENCE.toNanos();
        Object me = new Object();
        takingTurns.incrementAndGet();
        lastInTurn = me;
        int turnsBack = 0;
        boolean satisfied = false;
        // Everyone stays until everyone has had three turns back, so that no one is left without partners.
        while (turnsSatisfied.get() < n) {
            if (System.nanoTime() - giveUp > 0) return "alone";
            Workloads.fib(f, safepoint);
            safepoint.poll();
            if (lastInTurn != me) {
                turnsBack++;
                lastInTurn = me;
            }
            if (!satisfied && turnsBack >= 3 && takingTurns.get() >= n) {
                satisfied = true;
                turnsSatisfied.incrementAndGet();
            }
        }
        return "took turns";
    }

    private String pair(long patienceMillis) {
        peakInCpu.accumulateAndGet(inCpu.incrementAndGet(), Math::max);
        try {
            partner.exchange(Boolean.TRUE, patienceMillis, TimeUnit.MILLISECONDS);
            return "paired";
        } catch (TimeoutException e) {
            return "alone";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            inCpu.decrementAndGet();
        }
    }

    private Supplier<Reply> gather(int n, long giveUpNanos) {
        return () -> {
            if (arrived.get() >= n) return Reply.of(Response.ok("gathered\n"));
            if (System.nanoTime() - giveUpNanos > 0) return Reply.of(Response.ok("alone\n"));
            return Reply.sleep(POLL, gather(n, giveUpNanos));
        };
    }

    /** The most requests that were in their CPU step at the same moment. */
    public int peakInCpu() {
        return peakInCpu.get();
    }
}
