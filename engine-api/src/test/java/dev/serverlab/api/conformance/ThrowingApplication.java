package dev.serverlab.api.conformance;

import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;

import java.time.Duration;

/**
 * The experiment's application, except that {@code /throw/handle}, {@code /throw/compute} and
 * {@code /throw/sleep} throw in that step, with {@link #SECRET} in the exception's message. A public class
 * with a public constructor, so that engines serving from other processes (prefork) can create it there.
 */
public final class ThrowingApplication implements Application {

    /** In every exception's message; no answer may contain it. */
    public static final String SECRET = "qzx7secret";

    @Override
    public Reply handle(Request request) {
        return switch (request.path()) {
            case "/throw/handle" -> throw new IllegalStateException(SECRET + " in handle");
            case "/throw/compute" -> Reply.compute(safepoint -> {
                throw new IllegalStateException(SECRET + " in a CPU step");
            });
            case "/throw/sleep" -> Reply.sleep(Duration.ofMillis(10), () -> {
                throw new IllegalStateException(SECRET + " after a wait");
            });
            default -> Application.experiment().handle(request);
        };
    }
}
