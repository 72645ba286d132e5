package dev.serverlab.lab.experiment;

import dev.serverlab.lab.console.Format;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The t of one row: how long the row's exact CPU request takes alone on its own server, measured so that the
 * ideal built on it holds. A fresh JVM runs {@code fib(n)} slowly at first (interpreted, then compiled in
 * tiers), and one timing taken too early made t up to 1.7 × too large, so that rows came out "better than
 * the best possible". On a busy machine the alone timings can also be stretched by others' work. So the same request is timed alone again and again until the last {@link #WINDOW}
 * timings agree within {@link #SPREAD} and are not far above the shared calibration, and their median is t:
 *
 * <pre>
 *   time fib(n) alone ──► last 3 within 10 %? ── no ──► again (at most 8 in all)
 *                              │ yes
 *                              ▼
 *              ≤ 1.25 × the calibration's t? ── no ──► again, while timings remain; if none
 *                              │ yes                               remain, t = the calibration's
 *                              ▼
 *                     t = median of the last 3
 * </pre>
 *
 * @param t       the median of the last timings, or the calibration's t when those stayed far above it
 * @param samples every timing, in micros, in order
 * @param note    what a reader should know about t (it did not settle, or stayed far above the
 *                calibration), or null
 */
record AloneTime(Duration t, List<Long> samples, String note) {

    static final int WINDOW = 3;
    static final int MAX = 8;
    static final double SPREAD = 1.10;
    static final double ABOVE_CALIBRATION = 1.25;

    /** Times one request alone: its service time in micros, or a negative number when it failed. */
    @FunctionalInterface
    interface Timer {
        long micros() throws InterruptedException;
    }

    /** Null when a request failed (the caller finds out why). */
    static AloneTime measure(Timer timer, Duration calibration) throws InterruptedException {
        List<Long> samples = new ArrayList<>();
        long calibrated = calibration == null ? 0 : calibration.toNanos() / 1000;
        while (samples.size() < MAX) {
            long micros = timer.micros();
            if (micros < 0) return null;
            samples.add(Math.max(1, micros));
            if (samples.size() >= WINDOW && stable(last(samples)) && !farAbove(median(last(samples)), calibrated)) break;
        }
        long[] window = last(samples);
        long t = median(window);
        String note = null;
        if (!stable(window)) {
            note = "t did not settle in " + samples.size() + " timings alone (" + list(samples) + "); the median of the last "
                    + WINDOW + " is used";
        } else if (farAbove(t, calibrated)) {
            // others' work slows a timing down, never speeds it up: the calibration is the better guess of the cost
            note = "alone, this JVM took " + Format.number((double) t / calibrated, 2) + " × the calibration's "
                    + Format.micros(calibrated) + " throughout (" + list(samples) + "), so t is the calibration's";
            t = calibrated;
        }
        return new AloneTime(Duration.ofNanos(t * 1000), List.copyOf(samples), note);
    }

    private static long[] last(List<Long> samples) {
        return samples.subList(Math.max(0, samples.size() - WINDOW), samples.size()).stream().mapToLong(Long::longValue).toArray();
    }

    private static boolean stable(long[] window) {
        long min = Arrays.stream(window).min().orElse(0);
        long max = Arrays.stream(window).max().orElse(0);
        return window.length >= WINDOW && max <= min * SPREAD;
    }

    private static boolean farAbove(long micros, long calibrated) {
        return calibrated > 0 && micros > calibrated * ABOVE_CALIBRATION;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String list(List<Long> samples) {
        return String.join(", ", samples.stream().map(Format::micros).toList());
    }
}
