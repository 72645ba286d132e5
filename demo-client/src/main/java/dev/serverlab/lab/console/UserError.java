package dev.serverlab.lab.console;

/** A failure the user can act on: the message says what happened and what to do; no stack trace. */
public final class UserError extends RuntimeException {

    private final int exitCode;

    public UserError(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
