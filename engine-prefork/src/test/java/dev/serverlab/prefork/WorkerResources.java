package dev.serverlab.prefork;

import dev.serverlab.api.conformance.ResourceProbe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a prefork server holds, for the kit's leak checks: this JVM's files and threads (the parent's
 * pipes, socket and pump threads) plus those of every child process, read from {@code /proc/<pid>}. A
 * worker's JIT compiler threads come and go with the work the JVM compiles, not with connections: they
 * are left out.
 */
final class WorkerResources {

    private WorkerResources() {
    }

    static ResourceProbe.Snapshot snapshot() {
        List<String> files = new ArrayList<>(ResourceProbe.openFiles());
        Set<String> threads = new TreeSet<>(ResourceProbe.threads());
        for (ProcessHandle child : ProcessHandle.current().children().toList()) {
            Path proc = Path.of("/proc", Long.toString(child.pid()));
            for (String target : list(proc.resolve("fd"), true)) files.add(child.pid() + ":" + target);
            for (String task : list(proc.resolve("task"), false)) {
                String name = read(proc.resolve("task").resolve(task).resolve("comm"));
                if (!name.startsWith("C1 Compiler") && !name.startsWith("C2 Compiler")) threads.add(child.pid() + "/" + task + " " + name);
            }
        }
        return new ResourceProbe.Snapshot(files, threads);
    }

    /** The entries of a /proc directory (or the targets of its links); empty when the process is gone. */
    private static List<String> list(Path dir, boolean links) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                try {
                    out.add(links ? Files.readSymbolicLink(entry).toString() : entry.getFileName().toString());
                } catch (IOException closedMeanwhile) {
                    // gone while we looked: not held
                }
            }
        } catch (IOException processGone) {
            // nothing held
        }
        return out;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException gone) {
            return "";
        }
    }
}
