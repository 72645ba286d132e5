package dev.serverlab.api.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One line of a request, read incrementally up to its LF: the request line, a field line, or a chunk-size
 * line. Lines end in CRLF; a bare LF is accepted as RFC 9112 §2.2 allows, a bare CR is not.
 *
 * <p>Bytes are copied in bulk, then each is looked at once in the array: the reader notes what a field line
 * needs to know (where the first colon is, whether the name before it is a token, whether the value after
 * it holds a control character), so the parser does not scan the line again to find out.
 */
final class LineBuffer {

    private byte[] bytes = new byte[256];
    private int length;
    private boolean bareCr;
    /** The line was handed out; the next byte starts a new one. */
    private boolean done;
    /** The first colon, or -1. */
    private int colon = -1;
    /** Every byte before the first colon (or in the whole line, without one) is a tchar. */
    private boolean nameIsToken = true;
    /** A byte after the first colon is a control character other than HTAB (a field value may not hold one). */
    private boolean controlInValue;

    /**
     * Reads bytes up to LF, without the line end. Returns false when the line is not complete yet. A line
     * longer than {@code max} is refused with {@code status}. Bytes after the LF stay in {@code in}.
     */
    boolean read(ByteBuffer in, int max, int status, String reason) {
        if (done) start();
        while (in.hasRemaining()) {
            if (length == bytes.length) bytes = Arrays.copyOf(bytes, Math.min(bytes.length * 2, Math.max(max, 16) + 2));
            // Copy in bulk what may still belong to this line (the longest line is max bytes and CRLF; past
            // max only CR and LF are allowed, so length stays <= max + 1), then look at each byte in the array;
            // what follows the LF is given back to the buffer.
            int from = in.position();
            int n = Math.min(in.remaining(), Math.min(bytes.length - length, max + 2 - length));
            in.get(bytes, length, n);
            int end = length + n;
            for (int i = length; i < end; i++) {
                byte b = bytes[i];
                if (b == '\n') {
                    in.position(from + (i - length) + 1);
                    length = i;
                    if (length > 0 && bytes[length - 1] == '\r') length--;
                    if (bareCr || (length > 0 && bytes[length - 1] == '\r')) throw new HttpException(400, "bare CR in a line");
                    done = true;
                    return true;
                }
                if (i > 0 && bytes[i - 1] == '\r') bareCr = true;
                // The CR of a CRLF does not count against the limit: a line of exactly max bytes is allowed.
                if (i >= max && !(b == '\r' && i == max)) throw new HttpException(status, reason);
                if (colon < 0) {
                    if (b == ':') colon = i;
                    else if (!isTokenChar(b)) nameIsToken = false;
                } else {
                    int u = b & 0xFF; // bytes above 127 are obs-text, which a field value may carry; a CR is judged at the LF
                    if ((u < ' ' && u != '\t' && u != '\r') || u == 127) controlInValue = true;
                }
            }
            length = end;
        }
        return false;
    }

    /** The position of the colon after a valid field name, or -1. */
    int fieldColon() {
        return nameIsToken ? colon : -1;
    }

    boolean controlInValue() {
        return controlInValue;
    }

    int length() {
        return length;
    }

    byte at(int i) {
        return bytes[i];
    }

    int capacity() {
        return bytes.length;
    }

    /** The position of the first {@code b} at or after {@code from}, or -1. */
    int indexOf(byte b, int from) {
        for (int i = from; i < length; i++) {
            if (bytes[i] == b) return i;
        }
        return -1;
    }

    /** Whether {@code [from, to)} holds exactly the characters of {@code s}: then {@code s} can be shared. */
    boolean spells(String s, int from, int to) {
        if (s == null || s.length() != to - from) return false;
        for (int i = from; i < to; i++) {
            if ((bytes[i] & 0xFF) != s.charAt(i - from)) return false;
        }
        return true;
    }

    String text(int from, int to) {
        return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** Forgets the line; a buffer grown by one long line is given back. */
    void reset() {
        start();
        done = false;
        if (bytes.length > 4096) bytes = new byte[256];
    }

    private void start() {
        done = false;
        length = 0;
        bareCr = false;
        colon = -1;
        nameIsToken = true;
        controlInValue = false;
    }

    /** RFC 9110 tchar, by table: the parser asks for every byte of every field name. */
    static boolean isTokenChar(byte b) {
        return TCHAR[b & 0xFF];
    }

    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (int c = 0; c < 128; c++) {
            TCHAR[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }
    }
}
