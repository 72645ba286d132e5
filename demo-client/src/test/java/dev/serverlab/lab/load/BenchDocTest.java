package dev.serverlab.lab.load;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * BENCH.md documents bench/run.sh from the script itself: every {@code BENCH_*} setting it reads, with the
 * default it has, the engines' options (one event loop each) and the warm-up of the Method. A setting added
 * to the script, or a default changed, fails here until the doc says so.
 */
class BenchDocTest {

    private static final Pattern SETTING = Pattern.compile("BENCH_[A-Z0-9_]+");

    private static String file(String path) throws IOException {
        return Files.readString(Path.of("..", path));
    }

    /** BENCH.md's settings table: "| `BENCH_ROUNDS` | 3 | ..." gives BENCH_ROUNDS → 3, quotes and backticks dropped. */
    private static Map<String, String> documented() throws IOException {
        String doc = file("demo-client/BENCH.md");
        Map<String, String> rows = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\| `(BENCH_[^`]+)` \\| ([^|]+?) \\|").matcher(doc);
        while (m.find()) {
            Matcher name = SETTING.matcher(m.group(1));
            assertThat(name.find()).isTrue();
            rows.put(name.group(), unquote(m.group(2)));
        }
        return rows;
    }

    private static String unquote(String text) {
        return text.replace("`", "").replace("\"", "").strip();
    }

    @Test
    void everySettingTheScriptReadsIsDocumentedAndNoOther() throws IOException {
        Set<String> read = new TreeSet<>();
        Matcher m = SETTING.matcher(file("bench/run.sh"));
        while (m.find()) read.add(m.group());
        assertThat(new TreeSet<>(documented().keySet())).isEqualTo(read);
        assertThat(read).hasSizeGreaterThanOrEqualTo(17);
    }

    @Test
    void theDocumentedDefaultsAreTheScripts() throws IOException {
        Map<String, String> doc = documented();
        Matcher m = Pattern.compile("\\$\\{(BENCH_[A-Z0-9_]+):-(\"[^\"]*\"|[^}]*)}").matcher(file("bench/run.sh"));
        int checked = 0;
        while (m.find()) {
            String name = m.group(1);
            String value = unquote(m.group(2));
            if (value.startsWith("$ROOT/")) value = value.substring("$ROOT/".length());
            if (value.startsWith("$")) continue;   // computed at run time (BENCH_ENGINES: every engine)
            assertThat(doc.get(name)).as("BENCH.md's default of %s", name).isEqualTo(value);
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(15);
    }

    @Test
    void theEventLoopEnginesRunOneLoopAsTheDocSays() throws IOException {
        String script = file("bench/run.sh");
        Matcher table = Pattern.compile("SERVER_ARGS_DEFAULT=\\(([^)]*)\\)").matcher(script);
        assertThat(table.find()).isTrue();
        Matcher entry = Pattern.compile("\\[(\\w+)]=\"([^\"]*)\"").matcher(table.group(1));
        String row = documented().get("BENCH_SERVER_ARGS_");
        Set<String> engines = new TreeSet<>();
        while (entry.find()) {
            assertThat(entry.group(2)).isEqualTo("--loops 1");
            assertThat(row).contains(entry.group(1));
            engines.add(entry.group(1));
        }
        assertThat(engines).containsExactly("netty", "nio", "vertx");
        assertThat(row).startsWith("--loops 1 for ");
        assertThat(file("demo-client/BENCH.md")).contains("the event-loop engines run one event loop each, as nginx's one");
        assertThat(script).contains("ran with one event loop each (\\`--loops 1\\`), as nginx's one worker");
    }

    @Test
    void theMethodsWarmUpIsTheScripts() throws IOException {
        String script = file("bench/run.sh");
        Matcher warm = Pattern.compile("WARMUP_WINDOW=(\\d+) WARMUP_AGREE=(\\d+) WARMUP_LEAST=(\\d+)").matcher(script);
        assertThat(warm.find()).isTrue();
        String most = documented().get("BENCH_WARMUP_MAX");
        assertThat(file("demo-client/BENCH.md")).contains("until two %s-second windows of wrk agree within %s %% (%s to %s s"
                .formatted(warm.group(1), warm.group(2), warm.group(3), most));
    }
}
