package dev.serverlab.api.http;

/** Reason phrases for the status codes this project sends. */
public final class Status {

    /** The codes with a reason of their own below; the response writer pre-encodes their status lines. */
    static final int[] NAMED = {100, 200, 204, 400, 404, 405, 408, 413, 414, 417, 431, 500, 501, 503, 505};

    private Status() {
    }

    public static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 417 -> "Expectation Failed";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
        };
    }
}
