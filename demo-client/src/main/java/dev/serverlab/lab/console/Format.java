package dev.serverlab.lab.console;

import java.time.Duration;
import java.util.Locale;

/** How the lab writes times for people: three significant figures or so, in the unit that reads best. */
public final class Format {

    private Format() {
    }

    /** {@code 12.3 s}, {@code 1.03 s}, {@code 0.49 s}, {@code 45.2 ms}, {@code 310 µs}. */
    public static String seconds(double s) {
        double a = Math.abs(s);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f s", s);
        if (a >= 0.095) return String.format(Locale.ROOT, "%.2f s", s);
        if (a >= 0.001) return String.format(Locale.ROOT, "%.1f ms", s * 1e3);
        return String.format(Locale.ROOT, "%.0f µs", s * 1e6);
    }

    public static String seconds(Duration d) {
        return seconds(d.toNanos() / 1e9);
    }

    public static String micros(long micros) {
        return seconds(micros / 1e6);
    }

    public static Duration duration(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    /** {@code 1:05} for elapsed time. */
    public static String clock(Duration d) {
        long s = d.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** A number with {@code digits} decimals, without the locale's comma. */
    public static String number(double v, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }
}
