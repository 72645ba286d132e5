package dev.serverlab.api.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The Date header value as an IMF-fixdate (RFC 9110 §5.6.7: {@code Tue, 01 Dec 2026 05:02:47 GMT}), formatted
 * at most once a second rather than once a response. Not {@code RFC_1123_DATE_TIME}: it writes days 1 to 9
 * with one digit, which the HTTP grammar does not allow.
 */
public final class HttpDate {

    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.ROOT).withZone(ZoneOffset.UTC);

    private record Cached(long second, String value) {
    }

    private static volatile Cached cached = new Cached(-1, "");

    private HttpDate() {
    }

    public static String now() {
        long second = System.currentTimeMillis() / 1000;
        Cached c = cached;
        if (c.second != second) {
            c = new Cached(second, IMF_FIXDATE.format(Instant.ofEpochSecond(second)));
            cached = c;
        }
        return c.value;
    }
}
