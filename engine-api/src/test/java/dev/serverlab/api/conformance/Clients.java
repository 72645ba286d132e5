package dev.serverlab.api.conformance;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * Many {@link RawHttp} clients at once for the thread-engine shape tests, and what their answers' timing
 * headers say about the server: how many requests it had in service at one moment, and over what span.
 * Every answer is read by the strict client, so a shape test also checks the grammar of every response.
 */
public final class Clients {

    /** Long enough for a CPU request queued behind others on a busy two-core machine. */
    private static final int READ_TIMEOUT_MILLIS = 60_000;

    private Clients() {
    }

    /** One GET on its own connection, closed after the answer (as the experiment's clients did). */
    public static RawHttp.Reply get(int port, String path) throws IOException {
        try (RawHttp http = new RawHttp(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS)) {
            return http.send(RawHttp.lastRequest(path)).read();
        }
    }

    /** Sends {@code count} requests for {@code path} at once, each on its own connection, and waits for all. */
    public static List<RawHttp.Reply> concurrently(int port, int count, String path) throws Exception {
        List<Callable<RawHttp.Reply>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) calls.add(() -> get(port, path));
        return all(calls);
    }

    /** Runs every call at once and returns their answers in call order. */
    public static List<RawHttp.Reply> all(List<Callable<RawHttp.Reply>> calls) throws Exception {
        // Platform threads: the client must not compete with a virtual-thread server for its carriers.
        ExecutorService clients = Executors.newFixedThreadPool(calls.size(), Thread.ofPlatform().name("client-", 1).factory());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<RawHttp.Reply>> futures = new ArrayList<>();
            for (Callable<RawHttp.Reply> call : calls) {
                futures.add(clients.submit(() -> {
                    go.await();
                    return call.call();
                }));
            }
            go.countDown();
            List<RawHttp.Reply> answers = new ArrayList<>();
            for (Future<RawHttp.Reply> f : futures) answers.add(f.get(90, TimeUnit.SECONDS));
            return answers;
        } finally {
            clients.shutdownNow();
            clients.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Sends {@code count} requests for {@code path} at once from a platform thread, without waiting.
     * (Not CompletableFuture.supplyAsync: on two cores its pool has one thread, and a second batch would
     * wait behind the first.)
     */
    public static Future<List<RawHttp.Reply>> inBackground(int port, int count, String path) {
        FutureTask<List<RawHttp.Reply>> task = new FutureTask<>(() -> concurrently(port, count, path));
        Thread.ofPlatform().name("background-client").daemon().start(task);
        return task;
    }

    /** The largest number of requests that were in service at one moment, from their timing headers. */
    public static int maxInService(List<RawHttp.Reply> answers) {
        List<long[]> events = new ArrayList<>();
        for (RawHttp.Reply a : answers) {
            events.add(new long[]{a.startedMicros(), +1});
            events.add(new long[]{a.finishedMicros(), -1});
        }
        // At equal times an end comes before a start: touching intervals do not overlap.
        events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        int now = 0;
        int max = 0;
        for (long[] e : events) {
            now += (int) e[1];
            max = Math.max(max, now);
        }
        return max;
    }

    /** From the first start to the last finish, in microseconds. */
    public static long spanMicros(List<RawHttp.Reply> answers) {
        long first = answers.stream().mapToLong(RawHttp.Reply::startedMicros).min().orElseThrow();
        long last = answers.stream().mapToLong(RawHttp.Reply::finishedMicros).max().orElseThrow();
        return last - first;
    }
}
