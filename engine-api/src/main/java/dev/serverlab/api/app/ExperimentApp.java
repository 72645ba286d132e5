package dev.serverlab.api.app;

import java.time.Duration;
import java.util.List;

/**
 * The experiment's application.
 *
 * <pre>
 *   GET  /            a short plain-text body, for throughput tests
 *   POST /            echoes the request body
 *   GET  /fib/{n}     recursive Fibonacci, CPU-bound; the body is fib(n); 0 &lt;= n &lt;= 45
 *   GET  /sleep/{ms}  an IO-bound wait; the body is the milliseconds waited; 0 &lt;= ms &lt;= 60000
 * </pre>
 *
 * HEAD is served wherever GET is. A bad parameter gets 400 with a one-line reason, an unknown path 404,
 * and a wrong method 405 with {@code Allow}.
 */
final class ExperimentApp implements Application {

    static final ExperimentApp INSTANCE = new ExperimentApp();

    /** The body of {@code GET /}; the nginx configuration in bench/ serves the same bytes. */
    static final String HELLO = "Hello, World!\n";

    /** Immutable, so one answer serves every {@code GET /}: the hot path allocates no reply. */
    private static final Reply HELLO_REPLY = Reply.of(Response.ok(HELLO));
    private static final Reply NOT_FOUND = Reply.of(Response.text(404, "not found\n"));

    private ExperimentApp() {
    }

    @Override
    public Reply handle(Request request) {
        String path = request.path();
        String method = request.method();
        boolean get = method.equals("GET") || method.equals("HEAD");
        if (path.equals("/")) {
            if (get) return HELLO_REPLY;
            if (method.equals("POST")) return Reply.of(echo(request));
            return Reply.of(notAllowed("GET, HEAD, POST"));
        }
        if (path.startsWith("/fib/")) {
            if (!get) return Reply.of(notAllowed("GET, HEAD"));
            int n = parameter(path, 5, Workloads.MAX_FIB);
            if (n < 0) return Reply.of(badRequest("n must be a whole number from 0 to " + Workloads.MAX_FIB));
            return Reply.compute(safepoint -> Reply.of(Response.ok(Workloads.fib(n, safepoint) + "\n")));
        }
        if (path.startsWith("/sleep/")) {
            if (!get) return Reply.of(notAllowed("GET, HEAD"));
            int ms = parameter(path, 7, Workloads.MAX_SLEEP_MS);
            if (ms < 0) return Reply.of(badRequest("ms must be a whole number from 0 to " + Workloads.MAX_SLEEP_MS));
            return Reply.sleep(Duration.ofMillis(ms), () -> Reply.of(Response.ok(ms + "\n")));
        }
        return NOT_FOUND;
    }

    private static Response echo(Request request) {
        String type = request.headers().get("Content-Type");
        return new Response(200, type != null ? type : "application/octet-stream", List.of(), request.body());
    }

    /** The decimal number after {@code from}, if it is within 0..max; otherwise -1. No signs, no overflow. */
    static int parameter(String path, int from, int max) {
        int end = path.length();
        if (end == from || end - from > 9) return -1;
        int value = 0;
        for (int i = from; i < end; i++) {
            char c = path.charAt(i);
            if (c < '0' || c > '9') return -1;
            value = value * 10 + (c - '0');
        }
        return value <= max ? value : -1;
    }

    private static Response badRequest(String reason) {
        return Response.text(400, reason + "\n");
    }

    private static Response notAllowed(String allow) {
        return Response.text(405, "method not allowed\n").withHeader("Allow", allow);
    }
}
