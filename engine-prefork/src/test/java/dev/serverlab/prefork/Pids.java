package dev.serverlab.prefork;

import dev.serverlab.api.conformance.RawHttp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Process checks for tests: is a pid still a running process, wait until none is, and which one served a request. */
final class Pids {

    private Pids() {
    }

    /**
     * True while the process runs. An exited process whose parent has not reaped it yet (a zombie, as
     * orphans may stay under some init processes) holds no socket and runs no code: it counts as dead.
     */
    static boolean alive(long pid) {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            Path stat = Path.of("/proc", Long.toString(pid), "stat");
            try {
                String s = Files.readString(stat);
                // pid (comm) STATE ...: comm may contain spaces and parentheses, so read after the last ')'.
                return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
            } catch (IOException e) {
                return !Files.isDirectory(stat.getParent());
            }
        }
        return false;
    }

    static List<Long> alive(Collection<Long> pids) {
        return pids.stream().filter(Pids::alive).toList();
    }

    /** Polls {@code condition} every 50 ms until it holds or {@code timeout} passes; returns whether it held. */
    static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) return false;
            Thread.sleep(50);
        }
        return true;
    }

    /** A GET on a fresh connection to the server on loopback {@code port}, with the kit's strict client. */
    static RawHttp.Reply get(int port, String path) throws IOException {
        return RawHttp.get(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), path);
    }

    /** The worker that served {@code reply}: the pid in {@code X-Served-By: pid/thread}. */
    static long servedBy(RawHttp.Reply reply) {
        String servedBy = reply.header("X-Served-By");
        return Long.parseLong(servedBy.substring(0, servedBy.indexOf('/')));
    }

    /** Kills, by pid, every live child of this JVM, and returns their pids: a test's last line of defence. */
    static List<Long> killChildren() {
        List<ProcessHandle> children = ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList();
        children.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle child : children) child.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> null).join();
        return children.stream().map(ProcessHandle::pid).toList();
    }
}
