package dev.serverlab.api.http;

/**
 * What happened to one request on the server, sent back in the timing headers so a client can rebuild
 * a timeline of queueing and service from the responses alone.
 *
 * @param acceptedMicros when the connection was accepted, in epoch microseconds
 * @param startedMicros  when the server started working on this request
 * @param finishedMicros when the work was done and the response ready
 * @param servedBy       {@code pid/thread} of the worker that did the work
 */
public record Timing(long acceptedMicros, long startedMicros, long finishedMicros, String servedBy) implements Timed {

    public static final String ACCEPTED = "X-Accepted-At";
    public static final String STARTED = "X-Started-At";
    public static final String FINISHED = "X-Finished-At";
    public static final String SERVED_BY = "X-Served-By";

    private static final long PID = ProcessHandle.current().pid();

    /** The label last made for a thread, kept while the thread's name stays the same object. */
    private record Worker(String name, String label) {
    }

    /** {@link #currentWorker} runs once per request: build {@code pid/name} once per thread, not each time. */
    private static final ThreadLocal<Worker> WORKER = new ThreadLocal<>();

    /** The current time in epoch microseconds. */
    public static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** {@code pid/thread-name} for the calling thread; virtual threads without a name are named by id. */
    public static String currentWorker() {
        Thread t = Thread.currentThread();
        String name = t.getName();
        Worker w = WORKER.get();
        if (w == null || w.name != name) { // a renamed thread gets a new label
            String shown = name.isEmpty() ? (t.isVirtual() ? "virtual-" : "thread-") + t.threadId() : name;
            w = new Worker(name, PID + "/" + shown);
            WORKER.set(w);
        }
        return w.label;
    }

    /** The process id, as it appears in {@link #servedBy}. */
    public static long pid() {
        return PID;
    }

    /** A timing for a request that was refused before any work: started and finished now. */
    public static Timing refusedNow(long acceptedMicros) {
        long now = nowMicros();
        return new Timing(acceptedMicros, now, now, currentWorker());
    }
}
