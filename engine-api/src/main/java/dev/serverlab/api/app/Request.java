package dev.serverlab.api.app;

/**
 * A parsed HTTP request.
 *
 * @param method  the method, such as {@code GET}
 * @param target  the request target as sent, such as {@code /fib/30?x=1}
 * @param path    the target's path, without the query
 * @param query   the query without {@code ?}, or the empty string
 * @param version {@code HTTP/1.1} or {@code HTTP/1.0}
 * @param headers the header fields
 * @param body    the body, decoded from chunked form if it was chunked; empty when there is none
 */
public record Request(String method, String target, String path, String query, String version, Headers headers, byte[] body) {

    public static final byte[] NO_BODY = new byte[0];

    public boolean isHttp11() {
        return "HTTP/1.1".equals(version);
    }

    /**
     * Whether the client wants the connection kept open after the response: the HTTP/1.1 default unless
     * it sent {@code Connection: close}; on HTTP/1.0 only when it sent {@code Connection: keep-alive}.
     */
    public boolean keepAlive() {
        String connection = headers.get("Connection");
        if (isHttp11()) return connection == null || !hasToken(connection, "close");
        return connection != null && hasToken(connection, "keep-alive");
    }

    private static boolean hasToken(String list, String token) {
        for (String part : list.split(",")) {
            if (part.trim().equalsIgnoreCase(token)) return true;
        }
        return false;
    }
}
