package dev.serverlab.lab;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code ./lab} script, in a scratch tree whose {@code mvnw} is a stand-in that records each build
 * in {@code builds.log} and makes what a build makes (demo-client's classes and a class path file). Each
 * rebuild trigger is checked by counting builds, never by timing. Times are set on the files, so "newer
 * than the last build" does not depend on how fast the machine is.
 */
class LauncherTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String FAKE_MVNW = """
            #!/bin/sh
            # Stands in for ./mvnw: records the build, waits while the test holds it, makes what a build makes.
            root=$(cd "$(dirname "$0")" && pwd)
            echo build >> "$root/builds.log"
            while [ -e "$root/hold" ]; do sleep 0.05; done
            if [ -e "$root/fail" ]; then echo "fake build failure"; exit 1; fi
            mkdir -p "$root/demo-client/target/classes" "$root/lib"
            : > "$root/demo-client/target/serverlab-demo-client-1.0.jar"
            : > "$root/lib/a.jar"
            printf '%s' "$root/lib/a.jar" > "$root/demo-client/target/lab.classpath"
            """;

    /**
     * Answers the launcher's version check and "runs" the lab at once: no JVM start per run. A training run
     * (-XX:AOTCacheOutput) is recorded in trainings.log and writes a cache, unless the test made it fail.
     */
    private static final String FAKE_JAVA = """
            #!/bin/sh
            if [ "$1" = -version ]; then echo 'openjdk version "25.0.1" 2025-10-21' >&2; exit 0; fi
            root=$(cd "$(dirname "$0")/../.." && pwd)
            for arg in "$@"; do
              case $arg in -XX:AOTCacheOutput=*)
                echo training >> "$root/trainings.log"
                if [ -e "$root/training-fails" ]; then exit 1; fi
                echo cache > "${arg#-XX:AOTCacheOutput=}"
                exit 0 ;;
              esac
            done
            echo "fake java: $*"
            """;

    @TempDir Path root;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void scratchTree() throws IOException {
        Files.createDirectories(root.resolve(".mvn"));
        for (String file : List.of("lab", ".mvn/find-jdk.sh", ".mvn/lab-build.sh")) {
            Files.copy(REPO.resolve(file), root.resolve(file));
        }
        write("mvnw", FAKE_MVNW);
        root.resolve("mvnw").toFile().setExecutable(true);
        for (String tool : List.of("java", "javac")) {
            write("jdk/bin/" + tool, FAKE_JAVA);
            root.resolve("jdk/bin/" + tool).toFile().setExecutable(true);
        }
        write("pom.xml", "<project/>");
        write("engine-x/pom.xml", "<project/>");
        write("engine-x/src/main/java/A.java", "class A {}");
        write("engine-x/src/main/java/B.java", "class B {}");
        setAll(ago(60));
    }

    @AfterEach
    void stopEverything() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void buildsOnceThenRunsWithoutBuilding() throws Exception {
        assertThat(builtAfter()).isEqualTo(1);
        assertThat(builtAfter()).as("nothing changed").isEqualTo(1);
    }

    @Test
    void rebuildsWhenAClassPathEntryIsMissing() throws Exception {
        builtAfter();
        Files.delete(root.resolve("lib/a.jar"));   // what `./mvnw -pl engine-nio clean` does to one jar
        assertThat(builtAfter()).isEqualTo(2);
    }

    @Test
    void rebuildsWhenTheClassPathFileIsMissing() throws Exception {
        builtAfter();
        Files.delete(root.resolve("demo-client/target/lab.classpath"));
        assertThat(builtAfter()).isEqualTo(2);
    }

    @Test
    void rebuildsWhenAFileUnderDotMvnChanged() throws Exception {
        builtAfter();
        Files.setLastModifiedTime(root.resolve(".mvn/lab-build.sh"), ago(5));
        assertThat(builtAfter()).isEqualTo(2);
    }

    @Test
    void rebuildsWhenASourceChanged() throws Exception {
        builtAfter();
        Files.setLastModifiedTime(root.resolve("engine-x/src/main/java/A.java"), ago(5));
        assertThat(builtAfter()).isEqualTo(2);
    }

    @Test
    void rebuildsWhenASourceWasDeleted() throws Exception {
        builtAfter();
        Files.delete(root.resolve("engine-x/src/main/java/B.java"));
        assertThat(builtAfter()).isEqualTo(2);
    }

    @Test
    void rebuildsWhenAnOldSourceAppears() throws Exception {
        builtAfter();
        write("engine-x/src/main/java/C.java", "class C {}");   // e.g. restored with its old time
        Files.setLastModifiedTime(root.resolve("engine-x/src/main/java/C.java"), ago(60));
        assertThat(builtAfter()).isEqualTo(2);
    }

    @Test
    void aSecondFirstRunWaitsForTheFirstAndDoesNotBuildAgain() throws Exception {
        write("hold", "");
        Process first = start("first.log");
        await(() -> builds() == 1, "the first ./lab to start its build");
        Process second = start("second.log");
        await(() -> read("second.log").contains("waiting for it"), "the second ./lab to wait for the lock");
        assertThat(builds()).isEqualTo(1);

        Files.delete(root.resolve("hold"));
        finish(first);
        finish(second);
        assertThat(builds()).as("the second found the first's build fresh").isEqualTo(1);
        assertThat(root.resolve(".lab/build.lock")).doesNotExist();
    }

    @Test
    void aTermToTheLabStopsItsBuildBeforeTheLockIsFree() throws Exception {
        write("hold", "");
        Process lab = start("lab.log");
        await(() -> builds() == 1, "the build to start");
        List<ProcessHandle> build = lab.children().toList();
        assertThat(build).as("the build runs as the lab's child").hasSize(1);

        lab.destroy();    // SIGTERM, by PID: as kill or timeout(1) would send it

        assertThat(finish(lab)).isEqualTo(143);
        assertThat(build.getFirst().isAlive()).as("the build ended before the lab did").isFalse();
        assertThat(root.resolve(".lab/build.lock")).doesNotExist();
        Files.delete(root.resolve("hold"));
        assertThat(builtAfter()).as("the next ./lab builds again").isEqualTo(2);
    }

    @Test
    void aLockLeftByADeadProcessIsTakenOver() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        write(".lab/build.lock/pid", Long.toString(dead.pid()));
        assertThat(builtAfter()).isEqualTo(1);
    }

    @Test
    void aFailedBuildExits5WithItsOutput() throws Exception {
        write("fail", "");
        Process lab = start("lab.log");
        assertThat(finish(lab)).isEqualTo(5);
        assertThat(read("lab.log")).contains("the build failed").contains("fake build failure");
    }

    @Test
    void noJdkExits4() throws Exception {
        Files.createDirectories(root.resolve("no-jdks"));
        ProcessBuilder builder = command("lab.log");
        builder.environment().remove("JAVA_HOME");
        builder.environment().put("PATH", toolsWithoutJava().toString());
        builder.environment().put("SERVERLAB_JDK_DIRS", root.resolve("no-jdks").toString());
        Process lab = builder.start();
        started.add(lab);
        assertThat(finish(lab)).as(read("lab.log")).isEqualTo(4);
        assertThat(read("lab.log")).contains("needs a JDK 21 or newer");
        assertThat(builds()).isZero();
    }

    // The start-up cache. The fake JDK has no release file unless a test writes one: without it, no cache.

    @Test
    void aJdk25TrainsTheStartUpCacheOnceAndEveryRunUsesIt() throws Exception {
        jdkRelease("25.0.1", "25.0.1+8");
        builtAfter();
        assertThat(trainings()).isEqualTo(1);
        builtAfter();
        assertThat(trainings()).as("a fresh cache is not trained again").isEqualTo(1);
        Path cache = root.resolve("demo-client/target/aot/lab.aot");
        assertThat(read("lab.log")).contains("-XX:AOTCache=" + cache, "-Xlog:aot*=off,cds*=off", "-Dserverlab.aot.cache=" + cache,
                "-cp " + root.resolve("demo-client/target/serverlab-demo-client-1.0.jar") + ":");
    }

    @Test
    void aTrainingRemovesWhatAnEarlierOneCutShortLeftBehind() throws Exception {
        jdkRelease("25.0.1", "25.0.1+8");
        List<String> leftovers = List.of("lab.aot.4242", "lab.aot.4242.config", "lab.aot.key.4242");
        for (String file : leftovers) write("demo-client/target/aot/" + file, "from a training that was interrupted");
        builtAfter();
        assertThat(trainings()).isEqualTo(1);
        try (var files = Files.list(root.resolve("demo-client/target/aot"))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("lab.aot", "lab.aot.key", "training.log");
        }
    }

    @Test
    void theCacheIsTrainedAgainWhenAJarOfTheClassPathChanged() throws Exception {
        jdkRelease("25.0.1", "25.0.1+8");
        builtAfter();
        Files.setLastModifiedTime(root.resolve("lib/a.jar"), FileTime.from(Instant.now().plusSeconds(60)));
        builtAfter();
        assertThat(builds()).as("a jar, not a source, changed").isEqualTo(1);
        assertThat(trainings()).isEqualTo(2);
    }

    @Test
    void theCacheIsTrainedAgainWhenTheJdkChanged() throws Exception {
        jdkRelease("25.0.1", "25.0.1+8");
        builtAfter();
        jdkRelease("25.0.2", "25.0.2+10");
        builtAfter();
        assertThat(trainings()).isEqualTo(2);
        assertThat(read("lab.log")).contains("-XX:AOTCache=");
    }

    @Test
    void aJdkBefore25RunsTheLabAsBeforeWithoutACache() throws Exception {
        jdkRelease("21.0.5", "21.0.5+11");
        builtAfter();
        assertThat(trainings()).isZero();
        assertThat(read("lab.log")).doesNotContain("AOT", "aot").contains("-cp " + root.resolve("demo-client/target/classes") + ":");
    }

    @Test
    void labAotOffRunsWithoutTheCache() throws Exception {
        jdkRelease("25.0.1", "25.0.1+8");
        ProcessBuilder builder = command("lab.log");
        builder.environment().put("LAB_AOT", "off");
        Process lab = builder.start();
        started.add(lab);
        assertThat(finish(lab)).as(read("lab.log")).isZero();
        assertThat(trainings()).isZero();
        assertThat(read("lab.log")).doesNotContain("AOT", "aot");
    }

    @Test
    void aFailedTrainingIsReportedOnceAndTheLabRunsWithoutACache() throws Exception {
        jdkRelease("25.0.1", "25.0.1+8");
        write("training-fails", "");
        builtAfter();
        assertThat(read("lab.log")).contains("could not be trained").doesNotContain("-XX:AOTCache").contains("fake java:");
        builtAfter();
        assertThat(trainings()).as("not tried again until the build or the JDK changes").isEqualTo(1);
        assertThat(read("lab.log")).doesNotContain("could not be trained");
    }

    private void jdkRelease(String version, String runtime) throws IOException {
        write("jdk/release", "JAVA_VERSION=\"" + version + "\"\nJAVA_RUNTIME_VERSION=\"" + runtime + "\"\n");
    }

    private int trainings() {
        String log = read("trainings.log");
        return log.isEmpty() ? 0 : log.split("\n").length;
    }

    /** A PATH folder with the tools the scripts use, and no java (the machine's may be >= 21). */
    private Path toolsWithoutJava() throws IOException {
        Path bin = Files.createDirectories(root.resolve("tools"));
        for (String tool : List.of("sh", "dirname", "readlink", "sed", "head", "tail", "cat", "find", "sort", "cmp",
                "mkdir", "rm", "mv", "sleep")) {
            for (String dir : System.getenv("PATH").split(":")) {
                Path found = Path.of(dir, tool);
                if (Files.isExecutable(found)) {
                    Files.createSymbolicLink(bin.resolve(tool), found);
                    break;
                }
            }
        }
        return bin;
    }

    /** Runs ./lab to the end and returns how many builds there have been; then dates every input before it. */
    private int builtAfter() throws Exception {
        assertThat(finish(start("lab.log"))).as(read("lab.log")).isZero();
        int builds = builds();
        setAll(ago(20));
        Path manifest = root.resolve("demo-client/target/lab.inputs");
        if (Files.exists(manifest)) Files.setLastModifiedTime(manifest, ago(10));
        return builds;
    }

    private Process start(String log) throws IOException {
        Process lab = command(log).start();
        started.add(lab);
        return lab;
    }

    private ProcessBuilder command(String log) {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", root.resolve("lab").toString(), "--version")
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(root.resolve(log).toFile());
        builder.environment().put("JAVA_HOME", root.resolve("jdk").toString());
        return builder;
    }

    private int finish(Process lab) throws Exception {
        if (!lab.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("./lab did not end within 60 s");
        return lab.exitValue();
    }

    private int builds() {
        String log = read("builds.log");
        return log.isEmpty() ? 0 : log.split("\n").length;
    }

    private void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("gave up waiting for " + what);
            Thread.sleep(20);
        }
    }

    private String read(String file) {
        try {
            Path path = root.resolve(file);
            return Files.exists(path) ? Files.readString(path) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String file, String text) throws IOException {
        Path path = root.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }

    /** Every file of the tree except the build's own outputs, dated {@code time}. */
    private void setAll(FileTime time) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).filter(p -> !p.startsWith(root.resolve("demo-client"))).toList()) {
                Files.setLastModifiedTime(p, time);
            }
        }
    }

    private static FileTime ago(int minutes) {
        return FileTime.from(Instant.now().minus(Duration.ofMinutes(minutes)));
    }
}
