package dev.serverlab.api.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date} header value as IMF-fixdate (RFC 9110 §5.6.7: {@code Tue, 01 Dec 2026 05:02:47 GMT},
 * always a two-digit day), formatted at most once a second rather than once a response, as nginx and
 * Netty do. The bytes are kept beside the text so the response writer copies them without encoding.
 */
public final class HttpDate {

    /** {@code RFC_1123_DATE_TIME} would write days 1 to 9 with one digit, which IMF-fixdate forbids. */
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** The length of every IMF-fixdate from year 1000 to 9999. */
    static final int LENGTH = 29;

    private record Cached(long second, String value, byte[] bytes) {
    }

    private static volatile Cached cached = at(0);

    private HttpDate() {
    }

    /** The current second as IMF-fixdate. */
    public static String now() {
        return current().value;
    }

    /** IMF-fixdate for {@code epochSecond}. */
    public static String format(long epochSecond) {
        return IMF_FIXDATE.format(Instant.ofEpochSecond(epochSecond));
    }

    /** Copies the current second's bytes into {@code dst} at {@code at}; returns the index after them. */
    static int copyNow(byte[] dst, int at) {
        byte[] b = current().bytes;
        System.arraycopy(b, 0, dst, at, b.length);
        return at + b.length;
    }

    /**
     * Copies the current second's bytes into {@code dst} at {@code at}, as {@link #copyNow}, given the epoch
     * microseconds of a moment the caller has just read from the clock: when that moment falls in the second
     * already cached, those bytes are copied without reading the clock again.
     */
    static int copyAt(long epochMicros, byte[] dst, int at) {
        Cached c = cached;
        if (Math.floorDiv(epochMicros, 1_000_000L) != c.second) c = current();
        System.arraycopy(c.bytes, 0, dst, at, c.bytes.length);
        return at + c.bytes.length;
    }

    private static Cached current() {
        long second = System.currentTimeMillis() / 1000;
        Cached c = cached;
        if (c.second != second) {
            // Racing threads may each format the same second: harmless, and cheaper than a lock per response.
            c = at(second);
            cached = c;
        }
        return c;
    }

    private static Cached at(long second) {
        String value = format(second);
        return new Cached(second, value, value.getBytes(StandardCharsets.US_ASCII));
    }
}
