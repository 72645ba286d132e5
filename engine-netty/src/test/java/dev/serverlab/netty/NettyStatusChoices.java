package dev.serverlab.netty;

import dev.serverlab.api.conformance.HostileInputCases;

import java.util.Map;

/**
 * Where Netty's decoder answers a kit case otherwise than the shared codec, by case name; every netty
 * conformance class returns this from {@code statusChoices()}, and engine-api/LIMITS.md lists it. Every other
 * refusal Netty makes is mapped from its {@code DecoderResult} cause to the shared codec's status (see
 * engine-netty/README.md), and the checks Netty leaves to us answer as the shared codec does.
 */
final class NettyStatusChoices {

    static final Map<String, Integer> CHOICES = Map.of(
            // RFC 9112 5.2 lets a server replace an obs-fold with spaces: Netty's decoder does.
            "obs-fold", 200,
            // Netty skips control characters before a request line; with nothing else sent, the connection is idle.
            "binary garbage", HostileInputCases.NO_ANSWER,
            // Netty never compares a declared chunk size with the body limit; it waits for the bytes, and the
            // request's time running out ends it.
            "chunk size beyond the body limit", HostileInputCases.WHEN_TIME_IS_UP);

    private NettyStatusChoices() {
    }
}
