package dev.serverlab.api.http;

/**
 * A request the server must refuse, with the status to answer and a short reason for the body.
 * The reason never contains request data. Thrown on the hot path, so it carries no stack trace.
 */
public final class HttpException extends RuntimeException {

    private final int status;

    public HttpException(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return getMessage();
    }
}
