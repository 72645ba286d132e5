package dev.serverlab.vertx;

import dev.serverlab.api.conformance.HostileInputCases;

import java.util.Map;

/**
 * Where Vert.x answers a kit case otherwise than the shared codec, as RFC 9110/9112 allow it to: case name
 * (from the kit's {@code HostileInputCases}, or a client of its {@code ClientFaultCases}) to the status Vert.x
 * sends, or {@link HostileInputCases#NO_ANSWER}. LIMITS.md's table lists the same, and the kit checks that it does.
 */
final class VertxStatusChoices {

    static final Map<String, Integer> CHOICES = Map.ofEntries(
            // A chunk's announced size is not visible: Vert.x streams the bytes that came and waits for the rest;
            // the body's idle deadline ends the wait with a 408.
            Map.entry("chunk size beyond the body limit", HostileInputCases.WHEN_TIME_IS_UP),
            // Netty's decoder joins a folded line to the value before it (RFC 9112 §5.2 allows it).
            Map.entry("obs-fold", 200),
            // Netty's decoder splits the request line on any run of whitespace (RFC 9112 §3 allows it).
            Map.entry("two spaces in the request line", 200),
            Map.entry("tab as separator", 200),
            // Netty refuses any repeated Content-Length, even with equal values (RFC 9110 §8.6 allows it);
            // Vert.x has no option to change that.
            Map.entry("repeated equal Content-Length", 400),
            // Netty's strict line parsing refuses a lone LF (RFC 9112 §2.2: recognising it is a MAY); Vert.x
            // has no option, Netty only a JVM-wide property.
            Map.entry("bare LF line ends", 400),
            // A version Vert.x does not know: its answer's status line would repeat it (Http1xServerResponse takes
            // the version from Netty's request), which RFC 9110 §2.5 forbids; HttpVerticle closes instead.
            Map.entry("unsupported version", HostileInputCases.NO_ANSWER),
            Map.entry("HTTP/2 preface", HostileInputCases.NO_ANSWER),
            Map.entry("lower-case version", HostileInputCases.NO_ANSWER),
            // Before a request is decoded Vert.x gives a handler no response to write a 408 to: the header
            // deadline closes the connection (RFC 9112 §9.5).
            Map.entry("slowloris", HostileInputCases.NO_ANSWER),
            // Vert.x has no option for half-closure: at the end of the client's input Netty closes the connection.
            Map.entry("half-closed client", HostileInputCases.NO_ANSWER));

    private VertxStatusChoices() {
    }
}
