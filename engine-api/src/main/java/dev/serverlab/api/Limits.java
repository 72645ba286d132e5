package dev.serverlab.api;

import java.time.Duration;

/**
 * The limits and timeouts every engine enforces, with their defaults in one place.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>limit</th><th>default</th><th>when exceeded</th></tr>
 *   <tr><td>{@code maxRequestLineBytes}: the request line without its CRLF</td><td>8 KiB</td><td>414 URI Too Long</td></tr>
 *   <tr><td>{@code maxHeaderBytes}: every header line plus its CRLF, added up (trailers count too)</td><td>16 KiB</td><td>431</td></tr>
 *   <tr><td>{@code maxHeaderCount}: header fields in one request</td><td>100</td><td>431</td></tr>
 *   <tr><td>{@code maxBodyBytes}: the body, after chunked decoding</td><td>1 MiB</td><td>413 Content Too Large</td></tr>
 *   <tr><td>{@code idleTimeout}: a keep-alive connection waiting for its next request; also a body read, or a
 *       response write, that makes no progress</td><td>30 s</td><td>connection closed</td></tr>
 *   <tr><td>{@code headerReadTimeout}: from the first byte of a request to the end of its headers</td><td>10 s</td><td>408, then closed</td></tr>
 *   <tr><td>{@code maxConnections}: connections open at once</td><td>10,000</td><td>engine-specific: refused or left in the backlog</td></tr>
 *   <tr><td>{@code requestDeadline}: one request's work, from its first step</td><td>90 s</td><td>503</td></tr>
 *   <tr><td>{@code drainTimeout}: in-flight requests on close</td><td>10 s</td><td>connections forced closed</td></tr>
 * </table>
 *
 * A request at a limit is served; one byte past it is refused. The request deadline is above the longest
 * wait the experiment serves ({@code /sleep/60000}), so by default only the workload bounds apply; lower it
 * to shed slow work.
 */
public record Limits(
        int maxRequestLineBytes,
        int maxHeaderBytes,
        int maxHeaderCount,
        long maxBodyBytes,
        Duration idleTimeout,
        Duration headerReadTimeout,
        int maxConnections,
        Duration requestDeadline,
        Duration drainTimeout) {

    public static final Limits DEFAULTS = new Limits(
            8 * 1024, 16 * 1024, 100, 1024 * 1024,
            Duration.ofSeconds(30), Duration.ofSeconds(10), 10_000,
            Duration.ofSeconds(90), Duration.ofSeconds(10));

    public Limits {
        atLeast("maxRequestLineBytes", maxRequestLineBytes, 64);
        atLeast("maxHeaderBytes", maxHeaderBytes, 64);
        atLeast("maxHeaderCount", maxHeaderCount, 1);
        atLeast("maxBodyBytes", maxBodyBytes, 0);
        atLeast("maxConnections", maxConnections, 1);
        positive("idleTimeout", idleTimeout);
        positive("headerReadTimeout", headerReadTimeout);
        positive("requestDeadline", requestDeadline);
        positive("drainTimeout", drainTimeout);
        if (maxBodyBytes > Integer.MAX_VALUE - 16) {
            throw new ConfigException("maxBodyBytes must be below 2 GiB, the largest array a body is held in");
        }
    }

    public Limits withMaxRequestLineBytes(int v) {
        return new Limits(v, maxHeaderBytes, maxHeaderCount, maxBodyBytes, idleTimeout, headerReadTimeout, maxConnections, requestDeadline, drainTimeout);
    }

    public Limits withMaxHeaderBytes(int v) {
        return new Limits(maxRequestLineBytes, v, maxHeaderCount, maxBodyBytes, idleTimeout, headerReadTimeout, maxConnections, requestDeadline, drainTimeout);
    }

    public Limits withMaxHeaderCount(int v) {
        return new Limits(maxRequestLineBytes, maxHeaderBytes, v, maxBodyBytes, idleTimeout, headerReadTimeout, maxConnections, requestDeadline, drainTimeout);
    }

    public Limits withMaxBodyBytes(long v) {
        return new Limits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, v, idleTimeout, headerReadTimeout, maxConnections, requestDeadline, drainTimeout);
    }

    public Limits withIdleTimeout(Duration v) {
        return new Limits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, v, headerReadTimeout, maxConnections, requestDeadline, drainTimeout);
    }

    public Limits withHeaderReadTimeout(Duration v) {
        return new Limits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, idleTimeout, v, maxConnections, requestDeadline, drainTimeout);
    }

    public Limits withMaxConnections(int v) {
        return new Limits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, idleTimeout, headerReadTimeout, v, requestDeadline, drainTimeout);
    }

    public Limits withRequestDeadline(Duration v) {
        return new Limits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, idleTimeout, headerReadTimeout, maxConnections, v, drainTimeout);
    }

    public Limits withDrainTimeout(Duration v) {
        return new Limits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, idleTimeout, headerReadTimeout, maxConnections, requestDeadline, v);
    }

    private static void atLeast(String name, long value, long min) {
        if (value < min) throw new ConfigException(name + " must be at least " + min + ", not " + value);
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) throw new ConfigException(name + " must be a positive duration, not " + d);
    }
}
