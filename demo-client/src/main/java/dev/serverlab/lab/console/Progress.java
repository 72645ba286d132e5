package dev.serverlab.lab.console;

import java.io.PrintStream;
import java.time.Duration;

/**
 * The live line on a terminal's stderr: what runs now, how many steps are done, and the time since the
 * start, redrawn every half second. Off when stderr is not a terminal, so logs and tests stay clean.
 */
public final class Progress implements AutoCloseable {

    private final PrintStream err;
    private final boolean live;
    private final long start = System.nanoTime();
    private final int total;
    private volatile int done;
    private volatile String what = "starting";
    private volatile boolean closed;
    private Thread ticker;

    public Progress(PrintStream err, boolean live, int total) {
        this.err = err;
        this.live = live;
        this.total = total;
        if (live) {
            ticker = Thread.ofPlatform().daemon().name("lab-progress").start(() -> {
                while (!closed) {
                    draw();
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
    }

    /** True when stderr is an interactive terminal. On JDK 22+ a console exists even when redirected: ask it. */
    public static boolean terminal() {
        java.io.Console console = System.console();
        if (console == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;    // JDK 21: a console means a terminal
        }
    }

    /** Prints a line of output without tearing the live line: clear it, print, draw it again. */
    public synchronized void say(java.io.PrintWriter out, String line) {
        if (live && !closed) {
            err.print("\r\033[K");
            err.flush();
        }
        out.println(line);
        out.flush();
        draw();
    }

    public void now(String what) {
        this.what = what;
        draw();
    }

    public void stepDone() {
        done++;
        draw();
    }

    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private synchronized void draw() {
        if (!live || closed) return;
        String line = String.format("compare: %d of %d done · now %s · %s elapsed", done, total, what, Format.clock(elapsed()));
        err.print("\r" + line + "\033[K");
        err.flush();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (ticker != null) ticker.interrupt();
        if (live) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
