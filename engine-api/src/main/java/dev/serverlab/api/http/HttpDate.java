package dev.serverlab.api.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The Date header value, formatted at most once a second rather than once a response. */
public final class HttpDate {

    private record Cached(long second, String value) {
    }

    private static volatile Cached cached = new Cached(-1, "");

    private HttpDate() {
    }

    public static String now() {
        long second = System.currentTimeMillis() / 1000;
        Cached c = cached;
        if (c.second != second) {
            c = new Cached(second, DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.ofEpochSecond(second).atOffset(ZoneOffset.UTC)));
            cached = c;
        }
        return c.value;
    }
}
