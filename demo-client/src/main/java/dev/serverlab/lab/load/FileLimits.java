package dev.serverlab.lab.load;

import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The open-file limit, which caps the connections one process can hold. The JVM already raises its soft
 * limit to the hard limit on Linux; as root, {@link #ensure} also raises the hard limit (with
 * {@code prlimit}, which engines started afterwards inherit). When that is not enough it says how to fix it.
 */
public final class FileLimits {

    /** Soft and hard limits; -1 when unknown (not Linux). */
    public record Limit(long soft, long hard) {
    }

    private FileLimits() {
    }

    static Limit current() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] parts = line.substring("Max open files".length()).trim().split("\\s+");
                    return new Limit(number(parts[0]), number(parts[1]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: nothing to check
        }
        return new Limit(-1, -1);
    }

    private static long number(String s) {
        return s.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(s);
    }

    /**
     * Makes sure this process may open {@code needed} files, raising the limit if it may.
     *
     * @throws UserError with the exact command to run when the limit stays too low
     */
    public static Limit ensure(long needed) {
        Limit limit = current();
        if (limit.soft() < 0 || limit.soft() >= needed) return limit;
        if (isRoot() && raise(needed, Math.max(needed, limit.hard()))) {
            limit = current();
            if (limit.soft() >= needed) return limit;
        }
        long nrOpen = nrOpen();
        String fix = needed <= limit.hard()
                ? "ulimit -n " + needed
                : "ulimit -Hn " + needed + " && ulimit -n " + needed + "   (raising the hard limit needs root, or a nofile line in /etc/security/limits.conf)";
        if (needed > nrOpen) fix = "sysctl -w fs.nr_open=" + needed + " && " + fix;
        throw new UserError(ExitCode.USAGE, "this needs about " + needed + " open files, but the limit is " + limit.soft()
                + " (hard " + limit.hard() + "). Raise it in this shell and run again:\n  " + fix);
    }

    /** The kernel's cap on any process's limit (fs.nr_open, 1,048,576 by default). */
    private static long nrOpen() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/sys/fs/nr_open")).trim());
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean raise(long soft, long hard) {
        try {
            Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(ProcessHandle.current().pid()),
                    "--nofile=" + soft + ":" + hard).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
