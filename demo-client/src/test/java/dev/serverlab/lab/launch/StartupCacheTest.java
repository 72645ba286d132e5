package dev.serverlab.lab.launch;

import dev.serverlab.api.conformance.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The start-up cache with real JVMs of this JDK (25): a training run that serves an engine writes a cache; a
 * server started with it loads the engine's classes from it and says nothing about it; a cache that does not
 * fit never breaks a start; a stale one (a jar newer than its key) or a JDK before 25 gets no cache at all.
 * Nothing here depends on how fast the machine is: the evidence is the JVM's own class-loading log.
 */
class StartupCacheTest {

    private static final Pattern SERVING = Pattern.compile("serving on http://127\\.0\\.0\\.1:(\\d+)");
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final List<String> NATIVE = List.of("--enable-native-access=ALL-UNNAMED");

    @TempDir Path dir;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopEverything() throws InterruptedException {
        System.clearProperty(StartupCache.PROPERTY);
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aTrainedCacheHoldsTheEngineAndAServerStartsFromItQuietly() throws Exception {
        String classPath = jarOnlyClassPath();
        Path cache = dir.resolve("lab.aot");
        writeKey(cache, classPath, Instant.now());

        Process training = start(dir.resolve("training.log"), JAVA, NATIVE.getFirst(), "-XX:AOTCacheOutput=" + cache,
                "-cp", classPath, Training.class.getName(), "1", "nio");
        assertThat(training.waitFor(8, TimeUnit.MINUTES)).as("the training run ended").isTrue();
        assertThat(training.exitValue()).as(Files.readString(dir.resolve("training.log"))).isZero();
        assertThat(Files.readString(dir.resolve("training.log"))).contains("training: nio served");
        assertThat(Files.size(cache)).isPositive();

        List<String> args = StartupCache.jvmArgs(cache.toString(), classPath, 25, List.of(), NATIVE);
        assertThat(args).containsExactly("-XX:AOTCache=" + cache, StartupCache.QUIET, NATIVE.getFirst());
        Path classes = dir.resolve("classes.log");
        List<String> output = serveAndGet(classPath, args, classes);
        assertThat(output).noneMatch(line -> line.contains("[aot") || line.contains("[cds") || line.contains("warning"));
        assertThat(Files.readAllLines(classes)).anyMatch(line -> line.contains(" dev.serverlab.nio.") && line.endsWith("source: shared objects file"));
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aServerProcessGetsTheLabsCacheAndACacheThatDoesNotFitDoesNotBreakItsStart() throws Exception {
        // This JVM's class path holds folders (target/classes), which no AOT cache can be used with, and the
        // "cache" is not one: the server must start all the same, and quietly.
        Path cache = Files.writeString(dir.resolve("lab.aot"), "not a cache");
        writeKey(cache, System.getProperty("java.class.path"), Instant.now().plus(Duration.ofDays(3650)));
        System.setProperty(StartupCache.PROPERTY, cache.toString());
        try (ServerProcess server = ServerProcess.start("blocking", List.of(), List.of(), Duration.ofSeconds(120))) {
            assertThat(arguments(server.pid()))
                    .contains("-XX:AOTCache=" + cache, StartupCache.QUIET);
            assertThat(RawHttp.get(new InetSocketAddress("127.0.0.1", server.port()), "/").status()).isEqualTo(200);
            assertThat(server.output()).noneMatch(line -> line.contains("[aot") || line.contains("[cds") || line.contains("AOT"));
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aStaleCacheIsNotPassedOn() throws Exception {
        // JDK 25.0.3 and before would load the old jar's classes from it (JDK-8377932): the lab must not pass it.
        Path cache = Files.writeString(dir.resolve("lab.aot"), "a cache");
        writeKey(cache, System.getProperty("java.class.path"), Instant.EPOCH.plusSeconds(1));
        Path jar = Files.writeString(dir.resolve("rebuilt.jar"), "");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(120)));
        System.setProperty(StartupCache.PROPERTY, cache.toString());
        try (ServerProcess server = ServerProcess.start("blocking", List.of(), List.of(), Duration.ofSeconds(120))) {
            // every entry of the class path is newer than a key of 1970
            assertThat(arguments(server.pid()))
                    .noneMatch(a -> a.startsWith("-XX:AOTCache"));
        }
        String classPath = jar.toString();
        writeKey(cache, classPath, Instant.now().minusSeconds(60));
        assertThat(StartupCache.jvmArgs(cache.toString(), classPath, 25, List.of(), NATIVE)).as("fresh").isNotEmpty();
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now()));
        assertThat(StartupCache.jvmArgs(cache.toString(), classPath, 25, List.of(), NATIVE)).as("a jar newer than the key").isEmpty();
    }

    @Test
    void onlyAFreshCacheOnAJdkOf25OrLaterIsPassedOn() throws IOException {
        Path jar = Files.writeString(dir.resolve("a.jar"), "");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(120)));
        Path cache = Files.writeString(dir.resolve("lab.aot"), "a cache");
        String classPath = jar.toString();
        writeKey(cache, classPath, Instant.now().minusSeconds(60));

        assertThat(StartupCache.jvmArgs(cache.toString(), classPath, 25, List.of(), NATIVE))
                .containsExactly("-XX:AOTCache=" + cache, StartupCache.QUIET, NATIVE.getFirst());
        assertThat(StartupCache.jvmArgs(cache.toString(), classPath, 25, List.of("--enable-native-access=ALL-UNNAMED"), NATIVE))
                .as("the caller's own native access").containsExactly("-XX:AOTCache=" + cache, StartupCache.QUIET);
        assertThat(StartupCache.jvmArgs(cache.toString(), classPath, 21, List.of(), NATIVE)).as("JDK 21").isEmpty();
        assertThat(StartupCache.jvmArgs("", classPath, 25, List.of(), NATIVE)).as("no cache named").isEmpty();
        assertThat(StartupCache.jvmArgs(cache.toString(), classPath + File.pathSeparator + jar, 25, List.of(), NATIVE))
                .as("another class path").isEmpty();
        Files.delete(cache);
        assertThat(StartupCache.jvmArgs(cache.toString(), classPath, 25, List.of(), NATIVE)).as("no file").isEmpty();
    }

    /** Starts {@code ./lab serve --engine nio} with {@code jvmArgs}, answers one GET /, stops it; returns its output. */
    private List<String> serveAndGet(String classPath, List<String> jvmArgs, Path classLog) throws Exception {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(jvmArgs);
        command.addAll(List.of("-Xlog:class+load:file=" + classLog, "-cp", classPath, ServerProcess.LAB_MAIN,
                "serve", "--engine", "nio", "--port", "0"));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(server);
        List<String> output = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            int port = -1;
            String line;
            while (port < 0 && (line = reader.readLine()) != null) {
                output.add(line);
                Matcher m = SERVING.matcher(line);
                if (m.find()) port = Integer.parseInt(m.group(1));
            }
            assertThat(port).as("the server listened; its output: %s", output).isPositive();
            assertThat(RawHttp.get(new InetSocketAddress("127.0.0.1", port), "/").status()).isEqualTo(200);
            server.toHandle().destroy();
            while ((line = reader.readLine()) != null) output.add(line);
        }
        assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    /** This JVM's class path with each folder (target/classes) made a jar: an AOT cache cannot use a folder. */
    private String jarOnlyClassPath() throws IOException {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (Files.isDirectory(path)) entries.add(jar(path, dir.resolve("cp-" + entries.size() + ".jar")).toString());
            else if (Files.isRegularFile(path)) entries.add(entry);
        }
        return String.join(File.pathSeparator, entries);
    }

    private static Path jar(Path folder, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out);
             Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                jarOut.putNextEntry(new JarEntry(folder.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, jarOut);
                jarOut.closeEntry();
            }
        }
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(120)));
        return jar;
    }

    /** A process's command line, from /proc: ProcessHandle.Info has none when it is as long as a test class path. */
    private static List<String> arguments(long pid) throws IOException {
        return List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
    }

    /** What ./lab writes beside a cache: the class path it was trained on, dated just before the training. */
    private static void writeKey(Path cache, String classPath, Instant when) throws IOException {
        Path key = Path.of(cache + ".key");
        Files.writeString(key, "java.home=" + System.getProperty("java.home") + "\nclass.path=" + classPath + "\n");
        Files.setLastModifiedTime(key, FileTime.from(when));
    }

    private Process start(Path log, String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        return p;
    }
}
