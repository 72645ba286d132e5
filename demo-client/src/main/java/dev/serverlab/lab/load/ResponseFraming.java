package dev.serverlab.lab.load;

/**
 * Just enough of an HTTP/1.1 response parser for a load generator: it finds where each response ends and
 * reads its status, nothing more. Bytes are fed as they arrive, in any fragments; it keeps no bytes but
 * the first {@value #KEEP} of the current line (and, when asked, of the body), so it allocates nothing
 * per response.
 *
 * <pre>
 *   STATUS ─► HEADERS ─┬─ Content-Length ──► BODY ─────────────────────────────► done
 *      ▲               ├─ chunked ──► CHUNK_SIZE ◄─► CHUNK_DATA ─► CHUNK_END
 *      │               │                 └─ size 0 ─► TRAILERS ────────────────► done
 *      │               ├─ neither ──► UNTIL_CLOSE (the body ends when the server closes)
 *      └─ 1xx ─────────┘
 * </pre>
 *
 * Header names are matched without regard to case; only Content-Length, Transfer-Encoding and
 * Connection are looked at. A malformed response is a {@link Malformed} error: the connection must go.
 */
public final class ResponseFraming {

    /** Longest prefix of a line that is kept; the rest of a longer line is skipped. */
    static final int KEEP = 64;

    private enum State { STATUS, HEADERS, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE }

    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes();
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding:".getBytes();
    private static final byte[] CONNECTION = "connection:".getBytes();

    private final byte[] line = new byte[KEEP];
    private int lineLength;
    private int lineTotal;
    private final byte[] body;
    private int bodyKept;

    private State state = State.STATUS;
    private int status;
    private long contentLength;
    private boolean chunked;
    private boolean close;
    private long remaining;
    private boolean headRequest;

    /** @param keepBody how many bytes of each body to keep for {@link #bodyStartsWith}; 0 for none */
    ResponseFraming(int keepBody) {
        this.body = new byte[keepBody];
    }

    /** Thrown when the bytes are not an HTTP/1.1 response. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** The next response answers a HEAD request: it has no body whatever its headers say. */
    void expectHead(boolean head) {
        headRequest = head;
    }

    /**
     * Consumes bytes from {@code bytes[from..to)}. Returns the index just past the end of a complete
     * response, or -1 when all the bytes were used and the response is not complete yet.
     */
    int feed(byte[] bytes, int from, int to) throws Malformed {
        int i = from;
        while (i < to) {
            switch (state) {
                case BODY, CHUNK_DATA -> {
                    int n = (int) Math.min(to - i, remaining);
                    keepBody(bytes, i, n);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        if (state == State.BODY) return done(i);
                        state = State.CHUNK_END;
                    }
                }
                case UNTIL_CLOSE -> {
                    keepBody(bytes, i, to - i);
                    return -1;
                }
                default -> {
                    byte b = bytes[i++];
                    if (b != '\n') {
                        if (lineLength < KEEP) line[lineLength++] = b;
                        if (++lineTotal > 64 * 1024) throw new Malformed("a response line longer than 64 KiB");
                        continue;
                    }
                    if (lineLength > 0 && line[lineLength - 1] == '\r' && lineLength == lineTotal) lineLength--;
                    boolean complete = endOfLine();
                    lineLength = 0;
                    lineTotal = 0;
                    if (complete) return done(i);
                }
            }
        }
        return -1;
    }

    /** Forgets any partial response: the connection it came on is gone. */
    void reset() {
        state = State.STATUS;
        lineLength = 0;
        lineTotal = 0;
        bodyKept = 0;
        headRequest = false;
    }

    /** The server closed the connection: true when that ends a response whose body runs until the close. */
    boolean closeEndsResponse() {
        if (state != State.UNTIL_CLOSE) return false;
        state = State.STATUS;
        return true;
    }

    /** True when part of a response has arrived and the rest has not. */
    boolean inProgress() {
        return state != State.STATUS || lineTotal > 0;
    }

    /** The status of the last complete response. */
    int status() {
        return status;
    }

    /** Whether the last complete response said {@code Connection: close}. */
    boolean closeAfter() {
        return close;
    }

    /** Whether the kept start of the last body is exactly {@code expected} (which must fit in what is kept). */
    boolean bodyIs(byte[] expected) {
        if (expected.length != bodyKept || expected.length > body.length) return false;
        for (int k = 0; k < expected.length; k++) {
            if (body[k] != expected[k]) return false;
        }
        return true;
    }

    /** The kept start of the last body, for messages. */
    String bodyText() {
        return new String(body, 0, bodyKept, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private void keepBody(byte[] bytes, int from, int n) {
        int k = Math.min(n, body.length - bodyKept);
        if (k > 0) {
            System.arraycopy(bytes, from, body, bodyKept, k);
            bodyKept += k;
        }
    }

    /** Acts on one line; true when it completes a response. */
    private boolean endOfLine() throws Malformed {
        switch (state) {
            case STATUS -> {
                if (lineLength == 0) return false;   // tolerate an empty line between responses
                if (lineLength < 12 || !startsWith("HTTP/1.") || line[8] != ' ') throw new Malformed("not an HTTP/1.x status line");
                status = digit(9) * 100 + digit(10) * 10 + digit(11);
                contentLength = -1;
                chunked = false;
                close = line[7] == '0';   // HTTP/1.0 closes unless it says keep-alive
                bodyKept = 0;
                state = State.HEADERS;
                return false;
            }
            case HEADERS -> {
                if (lineLength > 0) {
                    header();
                    return false;
                }
                return endOfHeaders();
            }
            case CHUNK_SIZE -> {
                remaining = chunkSize();
                state = remaining == 0 ? State.TRAILERS : State.CHUNK_DATA;
                return false;
            }
            case CHUNK_END -> {
                if (lineLength != 0) throw new Malformed("chunk data longer than its size");
                state = State.CHUNK_SIZE;
                return false;
            }
            case TRAILERS -> {
                return lineLength == 0;
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private boolean endOfHeaders() throws Malformed {
        if (status >= 100 && status < 200) {   // an interim answer; the real one follows
            state = State.STATUS;
            return false;
        }
        if (headRequest || status == 204 || status == 304) return true;
        if (chunked) {
            state = State.CHUNK_SIZE;
            return false;
        }
        if (contentLength >= 0) {
            if (contentLength == 0) return true;
            remaining = contentLength;
            state = State.BODY;
            return false;
        }
        close = true;
        state = State.UNTIL_CLOSE;
        return false;
    }

    private void header() throws Malformed {
        if (matches(CONTENT_LENGTH)) {
            long v = 0;
            int digits = 0;
            for (int k = CONTENT_LENGTH.length; k < lineLength; k++) {
                byte b = line[k];
                if (b == ' ' || b == '\t') continue;
                if (b < '0' || b > '9' || ++digits > 15) throw new Malformed("malformed Content-Length");
                v = v * 10 + (b - '0');
            }
            if (digits == 0) throw new Malformed("malformed Content-Length");
            contentLength = v;
        } else if (matches(TRANSFER_ENCODING)) {
            chunked = valueContains("chunked");
        } else if (matches(CONNECTION)) {
            if (valueContains("close")) close = true;
            else if (valueContains("keep-alive")) close = false;
        }
    }

    private long chunkSize() throws Malformed {
        long size = 0;
        int digits = 0;
        for (int k = 0; k < lineLength; k++) {
            int d = Character.digit(line[k], 16);
            if (d < 0) break;
            if (++digits > 15) throw new Malformed("chunk size too large");
            size = size * 16 + d;
        }
        if (digits == 0) throw new Malformed("malformed chunk size");
        return size;
    }

    private int done(int index) {
        state = State.STATUS;
        headRequest = false;
        return index;
    }

    private int digit(int k) throws Malformed {
        byte b = line[k];
        if (b < '0' || b > '9') throw new Malformed("malformed status code");
        return b - '0';
    }

    private boolean startsWith(String prefix) {
        for (int k = 0; k < prefix.length(); k++) {
            if (line[k] != prefix.charAt(k)) return false;
        }
        return true;
    }

    /** Whether the line starts with {@code lowerName} (which ends in ':'), ignoring case. */
    private boolean matches(byte[] lowerName) {
        if (lineLength < lowerName.length) return false;
        for (int k = 0; k < lowerName.length; k++) {
            if ((line[k] | 0x20) != lowerName[k]) return false;
        }
        return true;
    }

    private boolean valueContains(String lowerWord) {
        int n = lowerWord.length();
        outer:
        for (int k = 0; k + n <= lineLength; k++) {
            for (int j = 0; j < n; j++) {
                if ((line[k + j] | 0x20) != lowerWord.charAt(j)) continue outer;
            }
            return true;
        }
        return false;
    }
}
