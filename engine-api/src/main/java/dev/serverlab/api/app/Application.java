package dev.serverlab.api.app;

import java.util.function.Function;

/**
 * What a server serves. An application maps a request to a {@link Reply}: a response now, CPU work to
 * run, or a wait. The engine decides where the CPU work runs and how the wait is done, which is how one
 * application shows every concurrency model.
 *
 * <p>{@link #handle} is called on whatever thread the engine serves the request on, which may be an event
 * loop: it must return quickly and leave slow work to {@link Reply#compute} and {@link Reply#sleep}.
 */
@FunctionalInterface
public interface Application {

    Reply handle(Request request);

    /** An application that answers every request at once with {@code handler}'s response. */
    static Application of(Function<Request, Response> handler) {
        return request -> Reply.of(handler.apply(request));
    }

    /** The experiment's routes: {@code /}, {@code /fib/{n}} and {@code /sleep/{ms}}. */
    static Application experiment() {
        return ExperimentApp.INSTANCE;
    }
}
