package dev.serverlab.api.app;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A response an application gives. Engines add Date, Server, Content-Length, Connection and the timing
 * headers; an application sets only what is its own.
 *
 * @param status      the status code
 * @param contentType the Content-Type, or null for none
 * @param headers     further header fields
 * @param body        the body
 */
public record Response(int status, String contentType, List<Header> headers, byte[] body) {

    public static final String TEXT = "text/plain; charset=utf-8";

    public Response {
        if (status < 100 || status > 999) throw new IllegalArgumentException("status must have 3 digits: " + status);
        Objects.requireNonNull(body, "body");
        headers = List.copyOf(headers);
    }

    /** A plain-text response. */
    public static Response text(int status, String body) {
        return new Response(status, TEXT, List.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    public static Response ok(String body) {
        return text(200, body);
    }

    public Response withHeader(String name, String value) {
        List<Header> copy = new ArrayList<>(headers);
        copy.add(new Header(name, value));
        return new Response(status, contentType, copy, body);
    }
}
