package dev.serverlab.vertx;

import java.util.Map;

/**
 * Where Vert.x answers a kit case with another status of the same class than the shared codec: case name
 * (from the kit's {@code HostileInputCases}) to the status Vert.x sends. The README's table lists the same.
 */
final class VertxStatusChoices {

    /**
     * Vert.x answers any version other than HTTP/1.0 and HTTP/1.1 itself, with a bare {@code 501} and a
     * close, before a request handler runs (the shared codec says 505).
     */
    static final Map<String, Integer> CHOICES = Map.of(
            "unsupported version", 501,
            "HTTP/2 preface", 501);

    private VertxStatusChoices() {
    }
}
