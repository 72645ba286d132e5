package dev.serverlab.api.http;

import dev.serverlab.api.app.Header;
import dev.serverlab.api.app.Response;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes responses into bytes: status line, Server, Date, Content-Type, Content-Length, Connection, the
 * timing headers, the application's headers, then the body.
 *
 * <p>The hot path formats nothing. The status line with Server and the {@code Date:} name is one
 * pre-encoded array per status; the date's bytes come from {@link HttpDate}'s once-a-second cache; the
 * numbers (Content-Length and the timing headers) are written as ASCII digits straight into the buffer.
 * An instance is one connection's output buffer: responses are appended, pipelined ones behind each
 * other, and {@link #writeTo} sends them with one write for the whole batch. The buffer is reused from
 * response to response, so serving a request allocates nothing here.
 */
public final class ResponseWriter {

    public static final String SERVER = "serverlab";

    private static final byte[] CONTINUE = ascii("HTTP/1.1 100 Continue\r\n\r\n");
    /** Each field starts with the CRLF that ends the one before it; the last one ends with the blank line. */
    private static final byte[] SERVER_AND_DATE = ascii("\r\nServer: " + SERVER + "\r\nDate: ");
    private static final byte[] CONTENT_TYPE = ascii("\r\nContent-Type: ");
    private static final byte[] CONTENT_TYPE_TEXT = ascii("\r\nContent-Type: " + Response.TEXT);
    private static final byte[] CONTENT_LENGTH = ascii("\r\nContent-Length: ");
    private static final byte[] KEEP_ALIVE = ascii("\r\nConnection: keep-alive");
    private static final byte[] CLOSE = ascii("\r\nConnection: close");
    private static final byte[] ACCEPTED = ascii("\r\n" + Timing.ACCEPTED + ": ");
    private static final byte[] STARTED = ascii("\r\n" + Timing.STARTED + ": ");
    private static final byte[] FINISHED = ascii("\r\n" + Timing.FINISHED + ": ");
    private static final byte[] SERVED_BY = ascii("\r\n" + Timing.SERVED_BY + ": ");
    private static final byte[] END_OF_HEADERS = ascii("\r\n\r\n");
    /** {@code HTTP/1.1 200 OK} + Server + {@code Date: }, for every status that {@link Status} names. */
    private static final byte[][] STATUS_LINES = new byte[1000][];

    static {
        for (int status : Status.NAMED) STATUS_LINES[status] = statusLine(status);
    }

    /** What an idle connection keeps; a larger buffer (a big body went out) is dropped once it is written. */
    private static final int KEPT_CAPACITY = 16 * 1024;
    /**
     * The most handed to one write: the JDK copies a heap buffer into a temporary direct one before
     * writing, and copying all of a large response again for every partial write would be quadratic.
     */
    private static final int WRITE_CHUNK = 256 * 1024;

    private byte[] bytes;
    /** A view of {@code bytes} for channel writes, made at the first and again only when the array grows. */
    private ByteBuffer view;
    /** The first byte not yet written. */
    private int read;
    /** The end of what was appended. */
    private int size;

    /** An empty output buffer; it takes memory with the first response, so an idle connection costs none. */
    public ResponseWriter() {
        this(0);
    }

    private ResponseWriter(int capacity) {
        bytes = new byte[capacity];
    }

    /**
     * The interim answer to {@code Expect: 100-continue}, as a buffer of its own. A copy, since callers may
     * write straight from its array; it is rare enough for the copy not to matter.
     */
    public static ByteBuffer continueResponse() {
        return ByteBuffer.wrap(CONTINUE.clone());
    }

    /**
     * Encodes {@code response} into an array of exactly its size, for callers that write one response at a
     * time and keep no {@code ResponseWriter}.
     *
     * @param keepAlive whether the connection stays open afterwards ({@code Connection: keep-alive} or {@code close})
     * @param head      whether this answers HEAD: the headers are those of GET, and no body follows
     */
    public static ByteBuffer encode(Response response, Timed timing, boolean keepAlive, boolean head) {
        ResponseWriter w = new ResponseWriter(length(response, timing, keepAlive, head));
        w.append(response, timing, keepAlive, head);
        return ByteBuffer.wrap(w.bytes, 0, w.size);
    }

    /** The answer to a refused request: a short text reason, and the connection closes. */
    public static ByteBuffer error(HttpException e, Timing timing) {
        return encode(refusal(e), timing, false, false);
    }

    /**
     * Appends {@code response} behind what is queued; see {@link #encode} for the flags. {@code timing} is read
     * here and not kept: an engine may pass its own mutable record of the request.
     */
    public void append(Response response, Timed timing, boolean keepAlive, boolean head) {
        ensure(length(response, timing, keepAlive, head));
        int status = response.status();
        byte[] line = STATUS_LINES[status];
        put(line != null ? line : statusLine(status));
        // The timing's finish was read from the clock a moment ago: within the cached second, it dates the response.
        size = timing != null ? HttpDate.copyAt(timing.finishedMicros(), bytes, size) : HttpDate.copyNow(bytes, size);
        String type = response.contentType();
        if (type == Response.TEXT) {
            put(CONTENT_TYPE_TEXT);
        } else if (type != null) {
            put(CONTENT_TYPE);
            text(type);
        }
        put(CONTENT_LENGTH);
        number(response.body().length);
        put(keepAlive ? KEEP_ALIVE : CLOSE);
        if (timing != null) {
            put(ACCEPTED);
            number(timing.acceptedMicros());
            put(STARTED);
            int started = size;
            long startedMicros = timing.startedMicros();
            number(startedMicros);
            put(FINISHED);
            if (timing.finishedMicros() == startedMicros) {
                // Answered at once: the same moment, already spelled.
                int n = size - FINISHED.length - started;
                System.arraycopy(bytes, started, bytes, size, n);
                size += n;
            } else {
                number(timing.finishedMicros());
            }
            put(SERVED_BY);
            text(timing.servedBy());
        }
        List<Header> headers = response.headers();
        for (int i = 0; i < headers.size(); i++) {
            Header h = headers.get(i);
            bytes[size++] = '\r';
            bytes[size++] = '\n';
            text(h.name());
            bytes[size++] = ':';
            bytes[size++] = ' ';
            text(h.value());
        }
        put(END_OF_HEADERS);
        if (!head) put(response.body());
    }

    /** Appends the answer to a refused request; the caller closes the connection after it. */
    public void appendError(HttpException e, Timing timing) {
        append(refusal(e), timing, false, false);
    }

    /** Appends {@code HTTP/1.1 100 Continue}. */
    public void appendContinue() {
        ensure(CONTINUE.length);
        put(CONTINUE);
    }

    /** Bytes appended and not yet written. */
    public int pendingBytes() {
        return size - read;
    }

    /**
     * Writes as much of the pending bytes as {@code channel} takes now and returns how many it took: one
     * write for all of them unless there are more than {@value #WRITE_CHUNK} bytes or the channel takes
     * less. Once everything is written the buffer is empty again (and small again, if a large body grew it).
     */
    public long writeTo(WritableByteChannel channel) throws IOException {
        long total = 0;
        while (read < size) {
            int offered = Math.min(size - read, WRITE_CHUNK);
            if (view == null || view.array() != bytes) view = ByteBuffer.wrap(bytes);
            view.limit(read + offered).position(read);
            int n = channel.write(view);
            if (n > 0) {
                read += n;
                total += n;
            }
            if (n < offered) break; // the socket's send buffer is full: the caller waits for OP_WRITE
        }
        if (read == size) clear();
        return total;
    }

    /**
     * Writes every pending byte to {@code out} with one call, for a thread that blocks on a socket stream,
     * and empties the buffer.
     */
    public void writeTo(OutputStream out) throws IOException {
        out.write(bytes, read, size - read);
        clear();
    }

    /** Drops whatever is pending. */
    public void clear() {
        read = 0;
        size = 0;
        if (bytes.length > KEPT_CAPACITY) bytes = new byte[KEPT_CAPACITY];
    }

    private static Response refusal(HttpException e) {
        return Response.text(e.status(), e.reason() + "\n");
    }

    /** The exact size of the encoded response, so the buffer grows once at most. */
    private static int length(Response response, Timed timing, boolean keepAlive, boolean head) {
        int status = response.status();
        byte[] line = STATUS_LINES[status];
        long n = (line != null ? line.length : statusLine(status).length) + HttpDate.LENGTH;
        String type = response.contentType();
        if (type == Response.TEXT) n += CONTENT_TYPE_TEXT.length;
        else if (type != null) n += CONTENT_TYPE.length + type.length();
        n += CONTENT_LENGTH.length + digits(response.body().length);
        n += keepAlive ? KEEP_ALIVE.length : CLOSE.length;
        if (timing != null) {
            n += ACCEPTED.length + STARTED.length + FINISHED.length + SERVED_BY.length;
            n += digits(timing.acceptedMicros()) + digits(timing.startedMicros()) + digits(timing.finishedMicros());
            n += timing.servedBy().length();
        }
        List<Header> headers = response.headers();
        for (int i = 0; i < headers.size(); i++) {
            Header h = headers.get(i);
            n += 4 + h.name().length() + h.value().length();
        }
        n += END_OF_HEADERS.length + (head ? 0 : response.body().length);
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("response too large: " + n + " bytes");
        return (int) n;
    }

    private void ensure(int more) {
        long needed = (long) size + more;
        if (needed <= bytes.length) return;
        if (read > 0 && needed - read <= bytes.length) {
            // What was written already makes room: move the pending bytes to the front.
            System.arraycopy(bytes, read, bytes, 0, size - read);
        } else {
            byte[] grown = new byte[(int) Math.min(Integer.MAX_VALUE - 16, Math.max(needed - read, Math.max(512, 2L * bytes.length)))];
            System.arraycopy(bytes, read, grown, 0, size - read);
            bytes = grown;
        }
        size -= read;
        read = 0;
    }

    private void put(byte[] b) {
        System.arraycopy(b, 0, bytes, size, b.length);
        size += b.length;
    }

    /** Header text is Latin-1 at most; anything else, and any CR or LF, would break framing: it becomes '?'. */
    private void text(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            bytes[size++] = (c > 0xFF || c == '\r' || c == '\n') ? (byte) '?' : (byte) c;
        }
    }

    /** Writes {@code v} as decimal ASCII digits, last digit first, straight into the buffer. */
    private void number(long v) {
        if (v < 0) {
            text(Long.toString(v)); // never on the hot path: lengths and epoch micros are not negative
            return;
        }
        int end = size + digits(v);
        for (int i = end - 1; i >= size; i--) {
            bytes[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        size = end;
    }

    /**
     * How many digits {@code v} has: its bit length says it within one (log10(2) is about 1233 / 4096), and
     * one comparison settles it.
     */
    private static int digits(long v) {
        if (v < 0) return Long.toString(v).length();
        int guess = ((64 - Long.numberOfLeadingZeros(v)) * 1233) >>> 12;
        return guess < POWERS_OF_TEN.length && v >= POWERS_OF_TEN[guess] ? guess + 1 : Math.max(guess, 1);
    }

    /** 10^0 to 10^18, all that a long holds. */
    private static final long[] POWERS_OF_TEN = new long[19];

    static {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
    }

    private static byte[] statusLine(int status) {
        byte[] head = ascii("HTTP/1.1 " + status + " " + Status.reason(status));
        byte[] line = new byte[head.length + SERVER_AND_DATE.length];
        System.arraycopy(head, 0, line, 0, head.length);
        System.arraycopy(SERVER_AND_DATE, 0, line, head.length, SERVER_AND_DATE.length);
        return line;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
