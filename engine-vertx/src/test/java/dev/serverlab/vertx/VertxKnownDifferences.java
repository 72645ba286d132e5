package dev.serverlab.vertx;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

import java.lang.reflect.Method;
import java.util.Map;

/**
 * The kit cases that Vert.x, through its public API only, cannot meet, each with the reason. Such a case
 * still runs, and must still fail: one that passes fails the run ("remove it from the list"), so the list
 * never hides a case Vert.x has since learnt to meet. Keys: the kit's method name, then the case's name.
 */
final class VertxKnownDifferences implements InvocationInterceptor {

    static final Map<String, String> CASES = Map.ofEntries(
            Map.entry("malformedRequestsGetTheRightStatusAndTheServerKeepsServing: lower-case version -> 400",
                    "Netty reads http/1.1 as a version other than its HTTP/1.1, and Vert.x answers such a version itself with 501"),
            Map.entry("malformedRequestsGetTheRightStatusAndTheServerKeepsServing: malformed chunk size -> 400",
                    "the decoder fails inside a body: the 400 written from the request's exception handler is lost as Vert.x closes"),
            Map.entry("malformedRequestsGetTheRightStatusAndTheServerKeepsServing: chunk longer than its size -> 400",
                    "the decoder fails inside a body: the 400 written from the request's exception handler is lost as Vert.x closes"),
            Map.entry("malformedRequestsGetTheRightStatusAndTheServerKeepsServing: chunk size beyond the body limit -> 413",
                    "a chunk's announced size is not visible: Vert.x streams the bytes that came and waits for the rest"),
            Map.entry("malformedRequestsGetTheRightStatusAndTheServerKeepsServing: unsupported version -> 505",
                    "Vert.x's own 501 carries the request's version in its status line (HTTP/9.9 501), which the strict client refuses"),
            Map.entry("malformedRequestsGetTheRightStatusAndTheServerKeepsServing: HTTP/2 preface -> 505",
                    "Vert.x's own 501 carries the request's version in its status line (HTTP/2.0 501), which the strict client refuses"),
            Map.entry("errorAnswersEchoNothingOfTheRequest: unsupported version",
                    "Vert.x's own 501 for an unknown version has no body and no Content-Type"),
            Map.entry("slowlorisIsCutOffByTheHeaderReadTimeout",
                    "closed at the header deadline, but without a 408: no public API writes to a connection before a request"),
            Map.entry("offloadedWorkPastTheRequestDeadlineGets503AndTheConnectionCloses",
                    "no timer watches work handed to executeBlocking (HttpVerticle.advance): it is answered when it ends, with a 200"),
            Map.entry("aHalfClosedClientStillGetsItsAnswer",
                    "Vert.x has no option for half-closure: at the end of input Netty closes the connection, answer unsent"));

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call, ExtensionContext context) throws Throwable {
        run(invocation, call.getExecutable().getName());
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call, ExtensionContext context) throws Throwable {
        run(invocation, call.getExecutable().getName() + ": " + context.getDisplayName());
    }

    private static void run(Invocation<Void> invocation, String key) throws Throwable {
        String why = CASES.get(key);
        if (why == null) {
            invocation.proceed();
            return;
        }
        try {
            invocation.proceed();
        } catch (Throwable expected) {
            return;   // the known difference, as listed
        }
        throw new AssertionError("Vert.x now meets \"" + key + "\": remove it from VertxKnownDifferences (" + why + ")");
    }
}
