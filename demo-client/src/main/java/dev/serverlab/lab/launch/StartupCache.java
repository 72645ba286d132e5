package dev.serverlab.lab.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The lab's start-up cache: a JDK 25 AOT cache (JEP 483 classes loaded and linked, JEP 515 method profiles)
 * that {@code ./lab} trains once per build and JDK ({@link Training}, {@code .mvn/lab-build.sh}) and starts
 * its own JVM with. The server JVMs it starts ({@link ServerProcess}) get it too, so an engine answers sooner
 * after start and reaches its steady speed sooner.
 *
 * <p>{@code ./lab} names the cache in the {@value #PROPERTY} system property only when it is fresh and not
 * turned off ({@code LAB_AOT=off}). It is checked again here before each server start, because a JDK 25 before
 * 25.0.4 does not notice that a jar changed since the training (JDK-8377932) and would run the classes of the
 * old jar: the cache is passed on only while no entry of the class path is newer than its key file, written
 * just before the training. Any other misfit (other JVM options) the JVM notices and runs without it; its own
 * messages about the cache are turned off, so such a start is as quiet as any other.
 */
public final class StartupCache {

    /** The cache's path, set by {@code ./lab}; absent when there is none to use. */
    public static final String PROPERTY = "serverlab.aot.cache";
    /** The first JDK whose {@code -XX:AOTCacheOutput} trains a cache in one run (JEP 514). */
    public static final int FIRST_JDK = 25;
    /** The JVM's messages about the cache (one it sets aside) would be noise in the server's output. */
    static final String QUIET = "-Xlog:aot*=off,cds*=off";

    private StartupCache() {
    }

    /** The options that give a server JVM, started with this JVM's class path, the cache this JVM uses; or none. */
    static List<String> jvmArgs(List<String> serverJvmArgs) {
        return jvmArgs(System.getProperty(PROPERTY, ""), System.getProperty("java.class.path", ""), Runtime.version().feature(),
                serverJvmArgs, ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    /**
     * The options that give a JVM of JDK {@code jdk} on {@code classPath} the cache at {@code cache}: none when
     * there is no cache, the JDK is before {@value #FIRST_JDK}, or the cache is stale. The cache records the
     * training run's native-access setting, so a server started without one gets this JVM's ({@code ownJvmArgs}),
     * or the JVM would set part of the cache aside.
     */
    static List<String> jvmArgs(String cache, String classPath, int jdk, List<String> serverJvmArgs, List<String> ownJvmArgs) {
        if (cache.isBlank() || jdk < FIRST_JDK || !fresh(Path.of(cache), classPath)) return List.of();
        List<String> args = new ArrayList<>(List.of("-XX:AOTCache=" + cache, QUIET));
        if (serverJvmArgs.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) {
            ownJvmArgs.stream().filter(a -> a.startsWith("--enable-native-access")).forEach(args::add);
        }
        return args;
    }

    /** True when the cache was trained on this class path and no entry of it changed since. */
    static boolean fresh(Path cache, String classPath) {
        Path key = Path.of(cache + ".key");
        try {
            if (!Files.isRegularFile(cache) || !Files.isRegularFile(key)) return false;
            if (!Files.readAllLines(key).contains("class.path=" + classPath)) return false;
            FileTime trained = Files.getLastModifiedTime(key);
            for (String entry : classPath.split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                if (!Files.exists(p) || Files.getLastModifiedTime(p).compareTo(trained) > 0) return false;
            }
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }
}
