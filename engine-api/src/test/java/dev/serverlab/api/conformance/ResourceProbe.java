package dev.serverlab.api.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.fail;

/**
 * What a server holds in this JVM, for leak checks: open file descriptors (from {@code /proc/self/fd}) and
 * live platform threads. Threads the JDK shares between everything in the JVM (the virtual-thread
 * scheduler's carriers, the common pool, the JDK's pollers) are left out: they outlive any one server.
 */
public final class ResourceProbe {

    /** A snapshot: the targets of the open file descriptors, and "id name" of the threads. */
    public record Snapshot(List<String> files, Set<String> threads) {
    }

    private ResourceProbe() {
    }

    /** True where {@code /proc/self/fd} exists (Linux), which the leak checks need. */
    public static boolean available() {
        return Files.isDirectory(Path.of("/proc/self/fd"));
    }

    /** The targets of this process's open file descriptors, such as {@code socket:[1234]}. */
    public static List<String> openFiles() {
        List<String> targets = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    targets.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException closedMeanwhile) {
                    // The descriptor (perhaps the listing's own) closed while we looked: it is not open.
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc/self/fd", e);
        }
        return targets;
    }

    /** "id name" of every live platform thread, leaving out the JDK's shared ones. */
    public static Set<String> threads() {
        Set<String> threads = new TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && !sharedByTheJdk(t)) threads.add(t.threadId() + " " + t.getName());
        }
        return threads;
    }

    private static boolean sharedByTheJdk(Thread t) {
        String type = t.getClass().getName();
        return type.equals("jdk.internal.misc.CarrierThread")
                || type.equals("jdk.internal.misc.InnocuousThread")
                || t.getName().startsWith("ForkJoinPool.commonPool-worker");
    }

    /**
     * Waits (polling, up to {@code patience}) until no more files are open than in {@code baseline} and at
     * most {@code threadMargin} threads are alive that were not in it; fails with what is left otherwise.
     */
    public static void awaitBackTo(Snapshot baseline, Supplier<Snapshot> now, int threadMargin, Duration patience, String when)
            throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Snapshot current = now.get();
            List<String> extraFiles = new ArrayList<>(current.files());
            baseline.files().forEach(extraFiles::remove);
            Set<String> extraThreads = new TreeSet<>(current.threads());
            extraThreads.removeAll(baseline.threads());
            boolean filesBack = current.files().size() <= baseline.files().size();
            if (filesBack && extraThreads.size() <= threadMargin) return;
            if (System.nanoTime() - deadline > 0) {
                fail(when + ": after " + patience.toSeconds() + " s, " + current.files().size() + " files are open (baseline "
                        + baseline.files().size() + "; not in the baseline: " + extraFiles + ") and " + extraThreads.size()
                        + " threads are new (margin " + threadMargin + "): " + extraThreads);
            }
            Thread.sleep(100);
        }
    }
}
