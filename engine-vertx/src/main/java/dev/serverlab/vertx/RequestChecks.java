package dev.serverlab.vertx;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Header;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.MultiMap;
import io.vertx.core.http.*;

import java.util.*;

/**
 * What the shared contract refuses and Vert.x's decoder lets through, checked on the request Vert.x
 * decoded: its headers, never its bytes. Sizes are counted as the shared codec counts them (the request
 * line without its CRLF, each header line with it), so every limit holds to the byte; Vert.x's own
 * limits are a little wider and stop only what is far over.
 */
final class RequestChecks {

    /** A refused request: the status and a short reason that echoes nothing of the request. */
    record Refusal(int status, String reason) {
    }

    private RequestChecks() {
    }

    /** Why Vert.x's decoder refused a request: its cause, the standard Netty way. */
    static Refusal undecodable(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) return new Refusal(414, "request line too long");
        if (cause instanceof TooLongHttpHeaderException) return new Refusal(431, "header section too large");
        if (cause instanceof TooLongHttpContentException) return new Refusal(413, "body too large");
        return new Refusal(400, "malformed request");
    }

    /** The refusal for a decoded request's head, or null when it may be served. */
    static Refusal check(HttpServerRequest req, List<Header> fields, Limits limits) {
        HttpVersion version = req.version();   // 1.0 or 1.1: HttpVerticle closes a connection with any other
        String target = req.uri();
        int line = req.method().name().length() + target.length() + "  HTTP/1.1".length();
        if (line > limits.maxRequestLineBytes()) return new Refusal(414, "request line too long");
        if (!validTarget(target)) return new Refusal(400, "malformed request target");
        MultiMap headers = req.headers();
        long bytes = 0;
        int hosts = 0;
        for (Header h : fields) {
            String name = h.name();
            if (name.isEmpty()) return new Refusal(400, "empty header name");
            bytes += name.length() + h.value().length() + ": \r\n".length();
            if (name.equalsIgnoreCase("Host")) hosts++;
        }
        if (fields.size() > limits.maxHeaderCount()) return new Refusal(431, "too many header fields");
        if (bytes > limits.maxHeaderBytes()) return new Refusal(431, "header section too large");
        if (hosts > 1) return new Refusal(400, "more than one Host header");
        if (hosts == 0 && version == HttpVersion.HTTP_1_1) return new Refusal(400, "missing Host header");
        if (headers.contains(HttpHeaders.TRANSFER_ENCODING)) {
            Refusal framing = framing(headers, version);
            if (framing != null) return framing;
        }
        String expect = headers.get(HttpHeaders.EXPECT);
        if (expect != null && hasBody(req) && !expect.equalsIgnoreCase("100-continue")) return new Refusal(417, "unsupported expectation");
        String length = headers.get(HttpHeaders.CONTENT_LENGTH);
        if (length != null && Long.parseLong(length.trim()) > limits.maxBodyBytes()) return new Refusal(413, "body too large");
        return null;
    }

    /** Whether the request announces a body; an expectation on a request without one is ignored. */
    static boolean hasBody(HttpServerRequest req) {
        MultiMap headers = req.headers();
        String length = headers.get(HttpHeaders.CONTENT_LENGTH);
        return (length != null && !length.trim().equals("0")) || headers.contains(HttpHeaders.TRANSFER_ENCODING);
    }

    /** Origin form, absolute form or {@code *} (RFC 9112 §3.2), with no control character or space. */
    private static boolean validTarget(String target) {
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= ' ' || c == 0x7f) return false;
        }
        if (target.startsWith("/") || target.equals("*")) return true;
        String lower = target.toLowerCase(Locale.ROOT);
        return lower.startsWith("http://") || lower.startsWith("https://");
    }

    /** Transfer-Encoding: only on HTTP/1.1, never with Content-Length, chunked once and last (RFC 9112 §6). */
    private static Refusal framing(MultiMap headers, HttpVersion version) {
        if (version == HttpVersion.HTTP_1_0 || headers.contains(HttpHeaders.CONTENT_LENGTH)) return new Refusal(400, "ambiguous framing");
        List<String> codings = new ArrayList<>();
        for (String value : headers.getAll(HttpHeaders.TRANSFER_ENCODING)) {
            for (String coding : value.split(",")) codings.add(coding.trim().toLowerCase(Locale.ROOT));
        }
        if (codings.indexOf("chunked") != codings.size() - 1) return new Refusal(400, "chunked must be the last coding, once");
        return codings.size() > 1 ? new Refusal(501, "transfer coding not implemented") : null;
    }
}
