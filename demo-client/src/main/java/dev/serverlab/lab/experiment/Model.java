package dev.serverlab.lab.experiment;

/**
 * How a configuration serves concurrent requests, as much as the ideal total needs to know: what kind of
 * model it is, and the counts the lab gave it. A count of 0 means the lab could not set it (the engine does
 * not take the option), so the ideal that depends on it is unknown.
 *
 * <pre>
 *   kind        CPU work at once                     IO waits at once
 *   SERIAL      1                                    1
 *   POOL        workers (1 under a GIL)              workers
 *   UNBOUNDED   every request (1 under a GIL): virtual   every request
 *               threads, run to completion on C carriers
 *   EVENT_LOOP  loops inline, or the offload pool    every request (a timer, no thread)
 *   UNKNOWN     ?                                    ?
 * </pre>
 *
 * @param kind    the model
 * @param workers pool size (POOL), or 0 when unknown
 * @param loops   event loops running CPU work inline (EVENT_LOOP without offload), or 0 when unknown
 * @param offload threads CPU work is offloaded to (EVENT_LOOP), or 0 when it runs inline
 * @param gil     CPU work runs under a global interpreter lock: one at a time
 */
public record Model(Kind kind, int workers, int loops, int offload, boolean gil) {

    /** Stands for "as many as there are requests". */
    static final int EVERY = Integer.MAX_VALUE;

    public enum Kind { SERIAL, POOL, UNBOUNDED, EVENT_LOOP, UNKNOWN }

    public static Model serial() {
        return new Model(Kind.SERIAL, 0, 0, 0, false);
    }

    public static Model pool(int workers) {
        return new Model(Kind.POOL, workers, 0, 0, false);
    }

    public static Model unbounded() {
        return new Model(Kind.UNBOUNDED, 0, 0, 0, false);
    }

    public static Model eventLoop(int loops, int offload) {
        return new Model(Kind.EVENT_LOOP, 0, loops, offload, false);
    }

    public static Model unknown() {
        return new Model(Kind.UNKNOWN, 0, 0, 0, false);
    }

    public Model withGil() {
        return new Model(kind, workers, loops, offload, true);
    }

    /** How many CPU-bound requests can make progress at once, before counting cores; 0 when unknown. */
    public int cpuSlots() {
        if (kind == Kind.UNKNOWN) return 0;
        if (gil) return 1;
        return switch (kind) {
            case SERIAL -> 1;
            case POOL -> workers;
            case UNBOUNDED -> EVERY;
            case EVENT_LOOP -> offload > 0 ? offload : loops;
            case UNKNOWN -> 0;
        };
    }

    /**
     * Whether the OS time-slices the CPU work across the cores: true for platform threads and processes (a
     * pool, prefork, an offload pool), false where each request runs to completion on its thread: virtual
     * threads on their carriers, CPU work inline on an event loop, and serial models.
     */
    public boolean timeSliced() {
        return switch (kind) {
            case POOL -> true;
            case EVENT_LOOP -> offload > 0;
            case SERIAL, UNBOUNDED, UNKNOWN -> false;
        };
    }

    /** How many IO waits can overlap; 0 when unknown. */
    public int ioSlots() {
        return switch (kind) {
            case SERIAL -> 1;
            case POOL -> workers;
            case UNBOUNDED, EVENT_LOOP -> EVERY;
            case UNKNOWN -> 0;
        };
    }

    /** A few words for tables and sentences, such as "4 workers under a GIL". */
    public String describe() {
        String base = switch (kind) {
            case SERIAL -> "serial";
            case POOL -> workers > 0 ? workers + " workers" : "a pool of workers";
            case UNBOUNDED -> "a thread per connection";
            case EVENT_LOOP -> (loops > 0 ? loops + " event loop" + (loops == 1 ? "" : "s") : "event loops")
                    + (offload > 0 ? ", CPU work offloaded to " + offload + " threads" : ", CPU work inline");
            case UNKNOWN -> "unknown model";
        };
        return gil ? base + " under a GIL" : base;
    }
}
