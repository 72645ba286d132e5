package dev.serverlab.netty;

import java.util.Map;

/**
 * Where Netty's decoder answers a kit case with another status of the same class than the shared codec,
 * by case name; every netty conformance class returns this from {@code statusChoices()}. It is empty: each
 * refusal Netty makes is mapped from its {@code DecoderResult} cause to the shared codec's status (see
 * engine-netty/README.md), and the checks Netty leaves to us answer as the shared codec does.
 */
final class NettyStatusChoices {

    static final Map<String, Integer> CHOICES = Map.of();

    private NettyStatusChoices() {
    }
}
