package dev.serverlab.api.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open connections of one server, for graceful shutdown:
 *
 * <pre>
 *   drain():  draining = true
 *             close every idle connection  (between requests: nothing is lost)
 *             wait for busy ones to finish  (each closes itself after its response)
 *             after the drain timeout, force-close what is left
 * </pre>
 */
public final class Connections {

    /** A connection as the tracker sees it. */
    public interface Tracked {
        /**
         * Closes the connection if it is between requests, or has it close itself soon (a connection may
         * leave the tracker by itself once it has); returns true once it is closed.
         */
        boolean closeIfIdle();

        /** Closes the connection now, busy or not. */
        void forceClose();
    }

    private final Set<Tracked> live = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    public void add(Tracked connection) {
        live.add(connection);
    }

    public void remove(Tracked connection) {
        live.remove(connection);
    }

    public int size() {
        return live.size();
    }

    /** True once shutdown began: connections answer with {@code Connection: close} and end after it. */
    public boolean draining() {
        return draining;
    }

    /** Closes every connection that is between requests (see {@link Tracked#closeIfIdle()}). */
    public void closeIdle() {
        for (Tracked c : live) {
            if (c.closeIfIdle()) live.remove(c);
        }
    }

    /** Runs the shutdown above; returns the number of connections that had to be forced closed. */
    public int drain(Duration timeout) {
        draining = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!live.isEmpty()) {
            closeIdle();
            if (live.isEmpty() || System.nanoTime() - deadline >= 0) break;
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int forced = 0;
        for (Tracked c : live) {
            c.forceClose();
            forced++;
        }
        live.clear();
        return forced;
    }
}
