package dev.serverlab.lab.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CPU time a server has used: user + system time from {@code /proc/PID/stat}, summed over the process
 * and its descendants (a prefork server's workers are child processes). Read at both edges of a measured
 * window, the difference over the requests answered is the server's CPU per request: the figure that holds
 * when other work shares the machine, where requests per second does not.
 */
public final class ServerCpu {

    /** Linux reports these times in clock ticks of USER_HZ, which is 100 on every architecture the JDK runs on. */
    static final long TICKS_PER_SECOND = 100;

    private ServerCpu() {
    }

    /** The user + system time of {@code pid} and its descendants in nanoseconds, or empty when /proc does not show it. */
    public static Optional<Long> nanos(long pid) {
        Optional<ProcessHandle> root = ProcessHandle.of(pid);
        if (root.isEmpty()) return Optional.empty();
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        root.get().descendants().forEach(p -> pids.add(p.pid()));
        long ticks = 0;
        boolean any = false;
        for (long p : pids) {
            Optional<Long> t = ticks(p);
            if (t.isPresent()) {
                ticks += t.get();
                any = true;
            }
        }
        return any ? Optional.of(ticks * (1_000_000_000L / TICKS_PER_SECOND)) : Optional.empty();
    }

    /** utime + stime, fields 14 and 15 of /proc/PID/stat; counted after the command name, which may hold spaces. */
    static Optional<Long> ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Optional.of(Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
        } catch (IOException | RuntimeException e) {
            // the process ended between listing and reading, or this is not Linux
            return Optional.empty();
        }
    }
}
