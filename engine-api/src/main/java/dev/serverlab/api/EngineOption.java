package dev.serverlab.api;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * A model-specific option an engine accepts, such as {@code gil}, {@code offload} or {@code accept}.
 *
 * @param name        the option's name; the command line spells it {@code --name}
 * @param kind        how its value is written
 * @param description one line for {@code --help} and {@code ./lab engines}
 * @param choices     the words a {@link Kind#CHOICE} takes, in the order help lists them; empty for the other kinds
 */
public record EngineOption(String name, Kind kind, String description, List<String> choices) {

    /** An option of any kind but {@link Kind#CHOICE}, which needs its words: see {@link #choice}. */
    public EngineOption(String name, Kind kind, String description) {
        this(name, kind, description, List.of());
    }

    /** An option that takes one of {@code choices}, such as {@code --accept shared|reuseport}. */
    public static EngineOption choice(String name, String description, String... choices) {
        return new EngineOption(name, Kind.CHOICE, description, List.of(choices));
    }

    /** The standard option for engines that honour {@link EngineConfig#workers()}. */
    public static EngineOption workers(String description) {
        return new EngineOption(WORKERS, Kind.COUNT, description);
    }

    public static final String WORKERS = "workers";

    public enum Kind {
        /** Present or absent; a value, if given, is {@code true} or {@code false}. */
        FLAG,
        /** A whole number of at least 1. */
        COUNT,
        /** A duration such as {@code 5ms}, {@code 250us} or {@code 2s}; a bare number means milliseconds. */
        DURATION,
        /** One word of {@link EngineOption#choices()}, such as {@code shared} or {@code reuseport}. */
        CHOICE
    }

    public EngineOption {
        if (name == null || !name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("option names are lower-case words with dashes: " + name);
        }
        choices = choices == null ? List.of() : List.copyOf(choices);
        if (kind == Kind.CHOICE && choices.size() < 2) {
            throw new IllegalArgumentException("--" + name + " is a choice: give it at least two words, not " + choices);
        }
        if (kind != Kind.CHOICE && !choices.isEmpty()) {
            throw new IllegalArgumentException("--" + name + " is a " + kind + ", which takes no list of words");
        }
        for (String word : choices) {
            if (!word.matches("[a-z][a-z0-9-]*")) throw new IllegalArgumentException("choices are lower-case words with dashes: " + word);
        }
    }

    /** Checks a value of this option, and returns it in its canonical spelling. */
    public String validate(String value) {
        return switch (kind) {
            case FLAG -> {
                if (value == null || value.isEmpty() || value.equalsIgnoreCase("true")) yield "true";
                if (value.equalsIgnoreCase("false")) yield "false";
                throw new ConfigException("--" + name + " is a switch: give it alone, or as true/false, not '" + value + "'");
            }
            case COUNT -> Integer.toString(parseCount(name, value));
            case DURATION -> parseDuration(name, value).toNanos() + "ns";
            case CHOICE -> {
                String word = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
                if (choices.contains(word)) yield word;
                throw new ConfigException("--" + name + " takes one of " + String.join(", ", choices) + ", not '" + value + "'");
            }
        };
    }

    static int parseCount(String name, String value) {
        try {
            int n = Integer.parseInt(value == null ? "" : value.trim());
            if (n >= 1 && n <= 100_000) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the message below
        }
        throw new ConfigException("--" + name + " takes a whole number from 1 to 100000, not '" + value + "'");
    }

    /** Parses {@code 5ms}, {@code 250us}, {@code 2s}, {@code 1m} or a bare number of milliseconds. */
    public static Duration parseDuration(String name, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (v.endsWith("ns")) d = Duration.ofNanos(Long.parseLong(v.substring(0, v.length() - 2)));
            else if (v.endsWith("us")) d = Duration.ofNanos(Math.multiplyExact(Long.parseLong(v.substring(0, v.length() - 2)), 1000L));
            else if (v.endsWith("ms")) d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            else if (v.endsWith("s")) d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            else if (v.endsWith("m")) d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            else d = Duration.ofMillis(Long.parseLong(v));
            if (!d.isNegative() && !d.isZero() && d.compareTo(Duration.ofHours(1)) <= 0) return d;
        } catch (NumberFormatException | ArithmeticException ignored) {
            // fall through to the message below
        }
        throw new ConfigException("--" + name + " takes a duration above 0 and at most 1h, such as 5ms, 250us or 2s, not '" + value + "'");
    }
}
