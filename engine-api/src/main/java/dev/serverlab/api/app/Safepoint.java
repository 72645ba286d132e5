package dev.serverlab.api.app;

/**
 * A point in long CPU work where the engine may take the CPU away, the way CPython's interpreter checks
 * whether to drop the GIL between bytecodes. Without a GIL it does nothing.
 */
@FunctionalInterface
public interface Safepoint {

    Safepoint NONE = () -> { };

    void poll();
}
