package dev.serverlab.lab.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The resident memory of a server: VmRSS from {@code /proc/PID/status}, summed over the process and its
 * descendants (a prefork server's workers are child processes). Pages shared between them, such as the
 * JDK's libraries, are counted once per process, as {@code ps} does.
 */
public final class ServerMemory {

    private ServerMemory() {
    }

    /** Whether this system shows process memory in /proc (Linux). */
    static boolean available() {
        return Files.isReadable(Path.of("/proc/self/status"));
    }

    /** The RSS of {@code pid} and its descendants in KiB, or empty when the process is gone or /proc is missing. */
    public static Optional<Long> rssKiB(long pid) {
        Optional<ProcessHandle> root = ProcessHandle.of(pid);
        if (root.isEmpty()) return Optional.empty();
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        root.get().descendants().forEach(p -> pids.add(p.pid()));
        long total = 0;
        boolean any = false;
        for (long p : pids) {
            Optional<Long> rss = vmRss(p);
            if (rss.isPresent()) {
                total += rss.get();
                any = true;
            }
        }
        return any ? Optional.of(total) : Optional.empty();
    }

    private static Optional<Long> vmRss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Optional.of(Long.parseLong(parts[0]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process ended between listing and reading, or this is not Linux
        }
        return Optional.empty();
    }
}
