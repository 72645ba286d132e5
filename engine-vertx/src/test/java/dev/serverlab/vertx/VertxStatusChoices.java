package dev.serverlab.vertx;

import java.util.Map;

/**
 * Where Vert.x answers a kit case otherwise than the shared codec, as RFC 9110/9112 allow it to: case name
 * (from the kit's {@code HostileInputCases}) to the status Vert.x sends. LIMITS.md's table lists the same, and
 * the kit checks that it does.
 */
final class VertxStatusChoices {

    static final Map<String, Integer> CHOICES = Map.of(
            // A chunk's announced size is not visible: Vert.x streams the bytes that came and waits for the rest;
            // the body's idle deadline ends the wait with a 408.
            "chunk size beyond the body limit", 408,
            // Netty's decoder joins a folded line to the value before it (RFC 9112 §5.2 allows it).
            "obs-fold", 200,
            // Netty's decoder splits the request line on any run of whitespace (RFC 9112 §3 allows it).
            "two spaces in the request line", 200,
            "tab as separator", 200,
            // Netty refuses any repeated Content-Length, even with equal values (RFC 9110 §8.6 allows it);
            // Vert.x has no option to change that.
            "repeated equal Content-Length", 400,
            // Netty's strict line parsing refuses a lone LF (RFC 9112 §2.2: recognising it is a MAY); Vert.x
            // has no option, Netty only a JVM-wide property.
            "bare LF line ends", 400);

    private VertxStatusChoices() {
    }
}
