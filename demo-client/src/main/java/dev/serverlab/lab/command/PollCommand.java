package dev.serverlab.lab.command;

import dev.serverlab.api.EngineOption;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Workloads;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.Format;
import dev.serverlab.lab.console.UserError;
import dev.serverlab.lab.load.LabClient;
import dev.serverlab.lab.load.Target;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./lab poll}: the original experiment's non-blocking client. One slow request goes out over a
 * non-blocking socket; instead of waiting for the answer, the client polls its Selector between pieces of
 * side work (a smaller Fibonacci, over and over), and counts how many it finished before the answer came.
 *
 * <pre>
 *   connect (non-blocking) ──► write the request ──► ┌─ select(up to --select-timeout) ─► read (non-blocking)
 *   (no side work until the request is out)          │
 *                                                    │        answer complete? ── yes ──► report
 *                                                    │             │ no: read returned 0 (EAGAIN) or a part
 *                                                    └─ fib(side), print a line ◄──┘
 * </pre>
 *
 * By default the client only polls ({@code selectNow}). The original waited up to 1 s in {@code select}
 * before each side step; {@code --select-timeout 1s} does the same, and then most of each step's time is
 * that wait, not the side work. Each line says what the non-blocking read found: nothing (Java's read
 * returns 0 where the C call fails with EAGAIN) or a part of the answer. The answer is noticed between two
 * side computations, so it is seen up to one computation late: keep the side work small next to the request.
 */
@Command(name = "poll", mixinStandardHelpOptions = true, description = {
        "The original non-blocking client: send one slow request (/fib/N or /sleep/ms) over a non-blocking socket and, "
                + "while it is on its way, compute side work (a smaller fib) over and over, printing a line for each; "
                + "then say how many were done before the answer arrived."})
public final class PollCommand implements Callable<Integer> {

    @ArgGroup(validate = false, heading = EngineSelection.HEADING)
    EngineSelection selection = new EngineSelection();

    @Option(names = "--url", paramLabel = "URL", description = "A running server to ask instead of --engine, e.g. http://127.0.0.1:40404/sleep/1000")
    String url;

    @Option(names = "--path", paramLabel = "PATH", description = "The slow request (default: /sleep/1000; try /fib/40).")
    String path;

    @Option(names = "--side", paramLabel = "N", defaultValue = "32", description = "The side work is fib(N), computed over and over while waiting (default: ${DEFAULT-VALUE}).")
    int side;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "120s", description = "Give up on the answer after this long (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--select-timeout", paramLabel = "DURATION",
            description = "Wait up to this long in select before each side step, as the original did with 1s (default: do not wait, only poll).")
    String selectTimeout;

    @Option(names = "--quiet", description = "Print only the summary, not a line per side computation.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    static final String DEFAULT_PATH = "/sleep/1000";

    /** What happened: the answer, when it arrived, and the side work done meanwhile. */
    record Outcome(int status, String body, long latencyNanos, int sideDone, long sideNanos, int emptyReads, long selectNanos) {
    }

    @Override
    public Integer call() {
        if (side < 0 || side > Workloads.MAX_FIB) throw new UserError(ExitCode.USAGE, "--side takes 0 to " + Workloads.MAX_FIB + ", not " + side);
        if ((url == null) == !selection.given()) {
            throw new UserError(ExitCode.USAGE, "give either --engine NAME (start it here) or --url URL (a running server)");
        }
        if (path != null && (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c == 127))) {
            throw new UserError(ExitCode.USAGE, "--path must start with / and contain no spaces, not '" + path + "'");
        }
        Duration wait = EngineOption.parseDuration("timeout", timeout);
        Duration select = selectTimeout == null ? Duration.ZERO : EngineOption.parseDuration("select-timeout", selectTimeout);
        PrintWriter out = spec.commandLine().getOut();
        if (url != null) {
            Target target = Target.parse(url);
            if (path != null) target = target.withPath(path);
            else if (target.path().equals("/") && !url.matches(".*://[^/]+/.*")) target = target.withPath(DEFAULT_PATH);
            return report(out, poll(target, side, select, wait, quiet ? null : out));
        }
        try (RunningServer server = selection.start(0, Application.experiment())) {
            Target target = Target.of(server.address(), path != null ? path : DEFAULT_PATH);
            return report(out, poll(target, side, select, wait, quiet ? null : out));
        }
    }

    private int report(PrintWriter out, Outcome o) {
        double seconds = o.latencyNanos() / 1e9;
        out.printf(Locale.ROOT, "answer: %d %s after %s; %d side computation%s of fib(%d) done while waiting%s; "
                        + "%d non-blocking read%s found nothing (read returned 0: EAGAIN)%s%n",
                o.status(), o.body().strip(), Format.seconds(seconds), o.sideDone(), o.sideDone() == 1 ? "" : "s", side,
                o.sideDone() == 0 ? "" : " (" + Format.seconds(o.sideNanos() / 1e9 / o.sideDone()) + " each)",
                o.emptyReads(), o.emptyReads() == 1 ? "" : "s",
                o.selectNanos() < 1_000_000 ? "" : "; " + Format.seconds(o.selectNanos() / 1e9) + " spent waiting in select");
        out.flush();
        return o.status() >= 200 && o.status() < 300 ? 0 : ExitCode.FAILED;
    }

    /**
     * Sends {@code GET target.path()} over a non-blocking channel and does side work until the whole answer is
     * in, waiting up to {@code select} in the selector before each step. Prints a line per side computation to
     * {@code lines} unless it is null.
     */
    static Outcome poll(Target target, int side, Duration select, Duration timeout, PrintWriter lines) {
        if (lines != null) {
            lines.printf("poll: GET %s over a non-blocking socket; side work while waiting: fib(%d)%s%n", target.url(), side,
                    select.isZero() ? "" : "; select waits up to " + Format.seconds(select) + " before each");
            lines.flush();
        }
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        byte[] request = ("GET " + target.path() + " HTTP/1.1\r\nHost: " + target.host() + ":" + target.port()
                + "\r\nUser-Agent: serverlab-poll\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer toSend = ByteBuffer.wrap(request);
        ByteBuffer chunk = ByteBuffer.allocate(8192);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        int done = 0;
        int emptyReads = 0;
        long sideNanos = 0;
        long selectNanos = 0;
        try (Selector selector = Selector.open(); SocketChannel channel = SocketChannel.open()) {
            channel.configureBlocking(false);
            boolean connected = channel.connect(target.address());
            SelectionKey key = channel.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT);
            while (true) {
                // until the request is out there is nothing to wait for but the socket: no side work before it,
                // as the original sent its request first
                boolean sent = !toSend.hasRemaining();
                long waited = System.nanoTime();
                if (!sent) selector.select(100);
                else if (select.isZero()) selector.selectNow();
                else selector.select(Math.max(1, select.toMillis()));
                waited = System.nanoTime() - waited;
                if (sent) selectNanos += waited;
                if (key.isValid() && key.isConnectable() && channel.finishConnect()) key.interestOps(SelectionKey.OP_WRITE);
                if (key.isValid() && key.isWritable()) {
                    channel.write(toSend);
                    if (!toSend.hasRemaining()) key.interestOps(SelectionKey.OP_READ);
                }
                selector.selectedKeys().clear();
                if (!sent) {
                    if (System.nanoTime() > deadline) {
                        throw new UserError(ExitCode.FAILED, "could not send the request to " + target.url() + " within " + timeout.toSeconds() + " s");
                    }
                    continue;
                }
                // once the request is out, read whether or not select said so, as the original did: a
                // non-blocking read with nothing to give returns 0 (the C call fails with EAGAIN)
                int n;
                int got = 0;
                while ((n = channel.read(chunk.clear())) > 0) {
                    received.write(chunk.array(), 0, n);
                    got += n;
                }
                if (n < 0 || complete(received.toByteArray())) break;
                if (got == 0) emptyReads++;
                String found = got == 0 ? "read returned 0 (EAGAIN: nothing yet)" : "read " + got + " bytes, the answer is not complete";
                if (System.nanoTime() > deadline) {
                    throw new UserError(ExitCode.FAILED, "no answer from " + target.url() + " within " + timeout.toSeconds() + " s");
                }
                long t = System.nanoTime();
                long value = Workloads.fib(side);
                long took = System.nanoTime() - t;
                sideNanos += took;
                done++;
                if (lines != null) {
                    lines.printf(Locale.ROOT, "  no answer at %s%s: %s; side work %d, fib(%d) = %d in %s%n",
                            Format.seconds((t - start) / 1e9),
                            select.isZero() ? "" : " (select waited " + Format.seconds(waited / 1e9) + ")",
                            found, done, side, value, Format.seconds(took / 1e9));
                    lines.flush();
                }
            }
            long latency = System.nanoTime() - start;
            LabClient.Response response = LabClient.Response.read(new ByteArrayInputStream(received.toByteArray()));
            return new Outcome(response.status(), response.body(), latency, done, sideNanos, emptyReads, selectNanos);
        } catch (ConnectException e) {
            throw new UserError(ExitCode.UNAVAILABLE, "cannot reach " + target.url() + ": connection refused. Is a server running there?");
        } catch (IOException e) {
            throw new UserError(ExitCode.UNAVAILABLE, "the request to " + target.url() + " failed: " + e.getMessage());
        }
    }

    /** True once the bytes hold the whole response: headers, and the body Content-Length announces. */
    static boolean complete(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) return false;
        for (String line : text.substring(0, end).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                try {
                    return bytes.length - (end + 4) >= Long.parseLong(line.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;   // no length: the server closes the connection when it is done (Connection: close)
    }
}
