package dev.serverlab.api.http;

import dev.serverlab.api.app.Header;
import dev.serverlab.api.app.Response;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes a response into bytes: status line, Server, Date, Content-Type, Content-Length, Connection,
 * the timing headers, the application's headers, then the body. One array per response, no formatting
 * beyond what the bytes need.
 */
public final class ResponseWriter {

    public static final String SERVER = "serverlab";

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private ResponseWriter() {
    }

    /** The interim answer to {@code Expect: 100-continue}. */
    public static ByteBuffer continueResponse() {
        return ByteBuffer.wrap(CONTINUE);
    }

    /**
     * Encodes {@code response}.
     *
     * @param keepAlive whether the connection stays open afterwards ({@code Connection: keep-alive} or {@code close})
     * @param head      whether this answers HEAD: the headers are those of GET, and no body follows
     */
    public static ByteBuffer encode(Response response, Timing timing, boolean keepAlive, boolean head) {
        Sink out = new Sink(256 + (head ? 0 : response.body().length));
        out.ascii("HTTP/1.1 ").number(response.status()).ascii(" ").ascii(Status.reason(response.status())).crlf();
        out.ascii("Server: ").ascii(SERVER).crlf();
        out.ascii("Date: ").ascii(HttpDate.now()).crlf();
        if (response.contentType() != null) out.ascii("Content-Type: ").ascii(response.contentType()).crlf();
        out.ascii("Content-Length: ").number(response.body().length).crlf();
        out.ascii(keepAlive ? "Connection: keep-alive" : "Connection: close").crlf();
        if (timing != null) {
            out.ascii(Timing.ACCEPTED).ascii(": ").number(timing.acceptedMicros()).crlf();
            out.ascii(Timing.STARTED).ascii(": ").number(timing.startedMicros()).crlf();
            out.ascii(Timing.FINISHED).ascii(": ").number(timing.finishedMicros()).crlf();
            out.ascii(Timing.SERVED_BY).ascii(": ").ascii(timing.servedBy()).crlf();
        }
        for (Header h : response.headers()) {
            out.ascii(h.name()).ascii(": ").ascii(h.value()).crlf();
        }
        out.crlf();
        if (!head) out.bytes(response.body());
        return out.buffer();
    }

    /** The answer to a refused request: a short text reason, and the connection closes. */
    public static ByteBuffer error(HttpException e, Timing timing) {
        return encode(Response.text(e.status(), e.reason() + "\n"), timing, false, false);
    }

    /** A growable byte array with just the appends a response needs. */
    private static final class Sink {
        private byte[] bytes;
        private int size;

        Sink(int capacity) {
            bytes = new byte[capacity];
        }

        Sink ascii(String s) {
            int n = s.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                // Header text is Latin-1 at most; anything else, and any CR or LF, would break framing.
                bytes[size++] = (c > 0xFF || c == '\r' || c == '\n') ? (byte) '?' : (byte) c;
            }
            return this;
        }

        Sink number(long v) {
            return ascii(Long.toString(v));
        }

        Sink crlf() {
            ensure(2);
            bytes[size++] = '\r';
            bytes[size++] = '\n';
            return this;
        }

        Sink bytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, bytes, size, b.length);
            size += b.length;
            return this;
        }

        private void ensure(int n) {
            if (size + n > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + n));
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(bytes, 0, size);
        }
    }
}
