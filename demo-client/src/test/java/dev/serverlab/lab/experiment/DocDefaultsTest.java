package dev.serverlab.lab.experiment;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.Limits;
import dev.serverlab.lab.command.CompareCommand;
import dev.serverlab.lab.command.PollCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The defaults the docs print (limits, the port, the options of compare and poll) are read from the docs'
 * tables and compared with the code, so a changed default cannot leave a doc behind: a README once said 60 s
 * for a deadline that was 90 s in {@code Limits}.
 */
class DocDefaultsTest {

    private static String doc(String path) throws IOException {
        return Files.readString(Path.of("..", path));
    }

    /** The first two cells of every table row: "| `maxBodyBytes` | 1 MiB | ..." gives maxBodyBytes → 1 MiB. */
    private static Map<String, String> rows(String markdown) {
        Map<String, String> rows = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\| ([^|]+?) \\| ([^|]+?) \\|").matcher(markdown);
        while (m.find()) rows.put(m.group(1).replace("`", "").strip(), m.group(2).replace("`", "").strip());
        return rows;
    }

    /** "8 KiB" → 8192, "1 MiB", "10,000", "100" → the number; "90 s", "300ms", "1s" → nanoseconds. */
    private static long value(String text) {
        Matcher m = Pattern.compile("^([0-9][0-9,]*)\\s*(KiB|MiB|ms|s|m)?\\b").matcher(text.strip());
        assertThat(m.find()).as("a number at the start of '%s'", text).isTrue();
        long n = Long.parseLong(m.group(1).replace(",", ""));
        String unit = m.group(2) == null ? "" : m.group(2);
        return switch (unit) {
            case "KiB" -> n * 1024;
            case "MiB" -> n * 1024 * 1024;
            case "ms" -> Duration.ofMillis(n).toNanos();
            case "s" -> Duration.ofSeconds(n).toNanos();
            case "m" -> Duration.ofMinutes(n).toNanos();
            default -> n;
        };
    }

    private static long value(Object code) {
        return code instanceof Duration d ? d.toNanos() : ((Number) code).longValue();
    }

    @Test
    void limitsMdShowsTheDefaultsOfLimits() throws Exception {
        Map<String, String> rows = rows(doc("engine-api/LIMITS.md"));
        int checked = 0;
        for (var component : Limits.class.getRecordComponents()) {
            String shown = rows.get(component.getName());
            assertThat(shown).as("LIMITS.md has a row for %s", component.getName()).isNotNull();
            assertThat(value(shown)).as("LIMITS.md's default of %s", component.getName())
                    .isEqualTo(value(component.getAccessor().invoke(Limits.DEFAULTS)));
            checked++;
        }
        assertThat(checked).isEqualTo(9);
    }

    @Test
    void theReadmeShowsTheDefaultsOfLimitsAndThePort() throws Exception {
        String readme = doc("README.md");
        Map<String, String> rows = rows(readme);
        Limits d = Limits.DEFAULTS;
        assertThat(value(rows.get("request line"))).isEqualTo(d.maxRequestLineBytes());
        String[] header = rows.get("header bytes / header fields").split("/");
        assertThat(value(header[0])).isEqualTo(d.maxHeaderBytes());
        assertThat(value(header[1])).isEqualTo(d.maxHeaderCount());
        assertThat(value(rows.get("body"))).isEqualTo(d.maxBodyBytes());
        assertThat(value(rows.get("header-read timeout (slowloris)"))).isEqualTo(d.headerReadTimeout().toNanos());
        assertThat(value(rows.get("idle keep-alive, stalled read or write"))).isEqualTo(d.idleTimeout().toNanos());
        assertThat(value(rows.get("request deadline"))).isEqualTo(d.requestDeadline().toNanos());
        assertThat(value(rows.get("max connections"))).isEqualTo(d.maxConnections());
        assertThat(value(rows.get("drain on shutdown"))).isEqualTo(d.drainTimeout().toNanos());
        assertThat(rows.get("--port PORT")).contains("default " + EngineConfig.DEFAULT_PORT);
    }

    @Test
    void compareMdShowsTheDefaultsOfCompareAndPoll() throws Exception {
        String compare = doc("demo-client/COMPARE.md");
        int poll = compare.indexOf("## `./lab poll`");
        assertThat(checkOptions(rows(compare.substring(0, poll)), CompareCommand.class)).isGreaterThanOrEqualTo(8);
        assertThat(checkOptions(rows(compare.substring(poll)), PollCommand.class)).isGreaterThanOrEqualTo(2);
    }

    /** Every option with a default in the code whose row the doc has must show that default; how many were checked. */
    private static int checkOptions(Map<String, String> rows, Class<?> command) {
        int checked = 0;
        for (Field f : command.getDeclaredFields()) {
            Option o = f.getAnnotation(Option.class);
            if (o == null || o.defaultValue().startsWith("__")) continue;
            String name = o.names()[o.names().length - 1];
            String row = rows.entrySet().stream().filter(e -> e.getKey().split(" ")[0].equals(name)).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
            assertThat(row).as("%s's doc has a row for %s", command.getSimpleName(), name).isNotNull();
            assertThat(value(row)).as("the documented default of %s %s", command.getSimpleName(), name).isEqualTo(value(o.defaultValue()));
            checked++;
        }
        return checked;
    }
}
