package dev.serverlab.nio;

import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Safepoint;
import dev.serverlab.api.server.ApplicationErrors;
import dev.serverlab.api.server.Exchange;
import dev.serverlab.api.server.Steps;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Where a request's work runs on an event loop: the lesson of this engine. The application's steps run
 * until one has to wait:
 *
 * <pre>
 *   Done(response)     back to the connection, to be written
 *   Sleep(d, then)     a timer on the loop; the loop serves others meanwhile
 *   Compute, inline    right here, on the loop thread: every other connection waits (the lesson)
 *   Compute, offload   on the pool (--offload N); the result comes back to the loop as a task (the cure)
 * </pre>
 */
final class Dispatch {

    /** Longer waits are cut here (the request deadline ends them first anyway): nanoTime arithmetic stays exact. */
    private static final Duration LONGEST_SLEEP = Duration.ofDays(1);

    private final EventLoop loop;
    private final Service service;

    Dispatch(EventLoop loop, Service service) {
        this.loop = loop;
        this.service = service;
    }

    /** Runs the application on the exchange's request, and what follows, until it waits or answers; on the loop. */
    void start(Connection c, Exchange exchange) {
        try {
            run(c, exchange, service.application().handle(exchange.request()));
        } catch (RuntimeException | Error e) {
            failed(c, exchange, e);
        }
    }

    /** Runs {@code step} and what follows it until one has to wait or the response is ready; on the loop. */
    void advance(Connection c, Exchange exchange, Supplier<Reply> step) {
        try {
            run(c, exchange, step.get());
        } catch (RuntimeException | Error e) {
            failed(c, exchange, e);
        }
    }

    private void run(Connection c, Exchange exchange, Reply reply) {
        while (true) {
            switch (reply) {
                case Reply.Done done -> {
                    c.respond(exchange, done.response());
                    return;
                }
                case Reply.Sleep sleep -> {
                    exchange.markStarted();
                    // A wait that would end past the deadline is refused now, as on the thread engines,
                    // rather than left to the periodic sweep.
                    if (Steps.exceedsDeadline(sleep, exchange, service.limits())) {
                        c.respond(exchange, Steps.DEADLINE_EXCEEDED);
                        return;
                    }
                    c.startDeadline();
                    Duration wait = sleep.duration().compareTo(LONGEST_SLEEP) > 0 ? LONGEST_SLEEP : sleep.duration();
                    long sequence = exchange.sequence();
                    loop.schedule(System.nanoTime() + wait.toNanos(), () -> c.resume(exchange, sequence, sleep.then()));
                    return;
                }
                case Reply.Compute compute when service.offload() != null -> {
                    c.startDeadline();
                    offload(c, exchange, compute.work());
                    return;
                }
                case Reply.Compute compute -> {
                    exchange.markStarted();
                    reply = compute.work().run(Safepoint.NONE);
                }
            }
        }
    }

    /** The application threw: it answers 500 (an error of the JVM itself is not the application's). */
    private static void failed(Connection c, Exchange exchange, Throwable e) {
        if (e instanceof VirtualMachineError vme) throw vme;
        c.respond(exchange, ApplicationErrors.handle(exchange.request(), e));
    }

    /** The cure: CPU work runs on a pool thread; its result comes back to the loop as a task. */
    private void offload(Connection c, Exchange exchange, Reply.CpuWork work) {
        long sequence = exchange.sequence();
        service.offload().execute(() -> {
            exchange.markStarted(); // on the pool thread: it starts the work, and the timeline names it
            Reply next;
            try {
                next = work.run(Safepoint.NONE);
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError vme) throw vme;
                next = Reply.of(ApplicationErrors.handle(exchange.request(), e));
            }
            Reply result = next;
            loop.execute(() -> c.resume(exchange, sequence, () -> result));
        });
    }
}
