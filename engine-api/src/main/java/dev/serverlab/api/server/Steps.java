package dev.serverlab.api.server;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Response;

/**
 * Runs an application's steps to the end on the calling thread: the thread engines' way. CPU steps run
 * through the engine's {@link CpuRunner}; a wait is a plain {@link Thread#sleep}, which blocks a platform
 * thread and parks a virtual one.
 *
 * <p>The request deadline is checked before each step: a wait that would end after it, or any step once
 * it has passed, is answered {@link #DEADLINE_EXCEEDED} at once rather than holding a thread for nothing.
 * A CPU step already running is not interrupted: the workload bounds keep it short.
 */
public final class Steps {

    /** The answer to a request whose work cannot finish within {@link Limits#requestDeadline()}. */
    public static final Response DEADLINE_EXCEEDED = Response.text(503, "request deadline exceeded\n");

    private Steps() {
    }

    /** {@link #runBlocking(Application, Exchange, CpuRunner, Limits)} with the default limits. */
    public static Response runBlocking(Application application, Exchange exchange, CpuRunner cpu) throws InterruptedException {
        return runBlocking(application, exchange, cpu, Limits.DEFAULTS);
    }

    /**
     * Handles the exchange's request and returns the response. An application that throws gets a 500,
     * with nothing of the exception sent to the client; work past {@code limits.requestDeadline()} a 503.
     */
    public static Response runBlocking(Application application, Exchange exchange, CpuRunner cpu, Limits limits)
            throws InterruptedException {
        Reply reply;
        try {
            reply = application.handle(exchange.request());
            while (true) {
                switch (reply) {
                    case Reply.Done done -> {
                        return done.response(); // Exchange.markFinished() marks an answer given at once as started
                    }
                    case Reply.Compute compute -> {
                        exchange.markStarted();
                        if (exchange.nanosLeft(limits.requestDeadline()) <= 0) return DEADLINE_EXCEEDED;
                        reply = cpu.run(compute.work());
                    }
                    case Reply.Sleep sleep -> {
                        exchange.markStarted();
                        if (exceedsDeadline(sleep, exchange, limits)) return DEADLINE_EXCEEDED;
                        Thread.sleep(sleep.duration());
                        reply = sleep.then().get();
                    }
                }
            }
        } catch (InterruptedException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError vme) throw vme;
            return ApplicationErrors.handle(exchange.request(), e);
        }
    }

    /**
     * True when {@code sleep} would end after the request's deadline (or the deadline has passed): the
     * engine answers {@link #DEADLINE_EXCEEDED} instead of waiting. Call it after {@link Exchange#markStarted()}.
     */
    public static boolean exceedsDeadline(Reply.Sleep sleep, Exchange exchange, Limits limits) {
        long left = exchange.nanosLeft(limits.requestDeadline());
        return left <= 0 || sleep.duration().compareTo(java.time.Duration.ofNanos(left)) > 0;
    }
}
