package dev.serverlab.lab;

/** The exit codes every command uses; apart from {@link Lab} so that commands need not depend on the root command. */
public final class ExitCode {

    public static final int OK = 0;
    /** A request or a check failed. */
    public static final int FAILED = 1;
    /** Bad arguments or configuration. */
    public static final int USAGE = 2;
    /** The server could not be started or reached. */
    public static final int UNAVAILABLE = 3;

    private ExitCode() {
    }
}
