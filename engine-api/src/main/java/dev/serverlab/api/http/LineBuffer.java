package dev.serverlab.api.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One line of a request, read incrementally up to its LF: the request line, a field line, or a chunk-size
 * line. Lines end in CRLF; a bare LF is accepted as RFC 9112 §2.2 allows, a bare CR is not.
 *
 * <p>Each byte is looked at once as it arrives: besides storing it, the reader notes what a field line
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
     * longer than {@code max} is refused with {@code status}.
     */
    boolean read(ByteBuffer in, int max, int status, String reason) {
        if (done) start();
        while (in.hasRemaining()) {
            byte b = in.get();
            if (b == '\n') {
                if (length > 0 && bytes[length - 1] == '\r') length--;
                if (bareCr || (length > 0 && bytes[length - 1] == '\r')) throw new HttpException(400, "bare CR in a line");
                done = true;
                return true;
            }
            if (length > 0 && bytes[length - 1] == '\r') bareCr = true;
            // The CR of a CRLF does not count against the limit: a line of exactly max bytes is allowed.
            if (length >= max && !(b == '\r' && length == max)) throw new HttpException(status, reason);
            if (length == bytes.length) bytes = Arrays.copyOf(bytes, Math.min(bytes.length * 2, Math.max(max, 16) + 2));
            if (colon < 0) {
                if (b == ':') colon = length;
                else if (!isTokenChar(b)) nameIsToken = false;
            } else {
                int u = b & 0xFF; // bytes above 127 are obs-text, which a field value may carry; a CR is judged at the LF
                if ((u < ' ' && u != '\t' && u != '\r') || u == 127) controlInValue = true;
            }
            bytes[length++] = b;
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

    /** RFC 9110 tchar. */
    static boolean isTokenChar(byte b) {
        if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') return true;
        return switch (b) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }
}
