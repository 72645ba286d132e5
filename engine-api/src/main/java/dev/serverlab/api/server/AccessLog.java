package dev.serverlab.api.server;

import dev.serverlab.api.app.Request;
import dev.serverlab.api.http.Timed;
import dev.serverlab.api.http.Timing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;

/**
 * The original servers' console log: each connection accepted and each request served, with pid and
 * thread. Off unless asked for, so that a benchmark measures the engine, not the console.
 */
public final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("serverlab.access");

    private final boolean enabled;

    public AccessLog(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean enabled() {
        return enabled;
    }

    public void accepted(SocketAddress remote) {
        if (enabled) log.info("accepted {} on {}", remote, Timing.currentWorker());
    }

    public void served(Request request, int status, Timed timing) {
        if (enabled) {
            log.info("{} {} -> {} in {} ms (waited {} ms) by {}", request.method(), request.target(), status,
                    String.format("%.1f", (timing.finishedMicros() - timing.startedMicros()) / 1000.0),
                    String.format("%.1f", Math.max(0, timing.startedMicros() - timing.acceptedMicros()) / 1000.0),
                    timing.servedBy());
        }
    }

    public void refused(int status, String reason) {
        if (enabled) log.info("refused with {}: {} on {}", status, reason, Timing.currentWorker());
    }
}
