package dev.serverlab.lab.launch;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The lab's start-up cache: a JDK 25 AOT cache (JEP 483 classes loaded and linked, JEP 515 method profiles)
 * that {@code ./lab} trains once per build and JDK ({@link Training}, {@code .mvn/lab-build.sh}) and starts
 * its own JVM with. This JVM's server JVMs ({@link ServerProcess}) use it too, so an engine answers sooner
 * after start and reaches its steady speed sooner.
 *
 * <p>{@code ./lab} names the cache in the {@value #PROPERTY} system property only when it is fresh for this
 * class path and JDK and not turned off ({@code LAB_AOT=off}). Should it not fit after all (a jar rebuilt
 * while the lab ran, other JVM options), the JVM runs without it: the cache only ever saves time. The JVM's
 * own messages about the cache are turned off, so such a start is as quiet as any other.
 */
public final class StartupCache {

    /** The cache's path, set by {@code ./lab}; absent when there is none to use. */
    public static final String PROPERTY = "serverlab.aot.cache";
    /** The first JDK whose {@code -XX:AOTCacheOutput} trains a cache in one run (JEP 514). */
    public static final int FIRST_JDK = 25;
    /** The JVM's messages about the cache (a stale or unreadable one) would be noise in the server's output. */
    static final String QUIET = "-Xlog:aot*=off,cds*=off";

    private StartupCache() {
    }

    /**
     * The options that give a server JVM the cache this JVM was started with, or none: no cache named, no
     * file, or a JDK before {@value #FIRST_JDK}. The cache records the training run's native-access setting,
     * so a server started without it gets it too, or the JVM would set part of the cache aside.
     */
    static List<String> jvmArgs(List<String> serverJvmArgs) {
        String cache = System.getProperty(PROPERTY, "");
        if (cache.isBlank() || Runtime.version().feature() < FIRST_JDK || !Files.isRegularFile(Path.of(cache))) return List.of();
        List<String> args = new ArrayList<>(List.of("-XX:AOTCache=" + cache, QUIET));
        if (serverJvmArgs.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) {
            ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .filter(a -> a.startsWith("--enable-native-access")).forEach(args::add);
        }
        return args;
    }
}
