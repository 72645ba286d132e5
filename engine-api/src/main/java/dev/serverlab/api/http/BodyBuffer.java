package dev.serverlab.api.http;

import dev.serverlab.api.app.Request;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A request body as it arrives. It grows with the bytes that actually come (doubling from a small start),
 * never to a size a header merely announced, so announcing a large body costs nothing.
 */
final class BodyBuffer {

    private static final int FIRST = 8 * 1024;

    private byte[] bytes = Request.NO_BODY;
    private int length;

    /** Moves up to {@code n} bytes from {@code in}; the buffer never grows past {@code cap}. */
    int append(ByteBuffer in, int n, int cap) {
        int take = Math.min(in.remaining(), n);
        int needed = length + take;
        if (needed > bytes.length) {
            long doubled = Math.max((long) bytes.length * 2, FIRST);
            bytes = Arrays.copyOf(bytes, (int) Math.min(cap, Math.max(needed, doubled)));
        }
        in.get(bytes, length, take);
        length += take;
        return take;
    }

    int length() {
        return length;
    }

    int capacity() {
        return bytes.length;
    }

    /** The body, exactly as long as what arrived, and an empty buffer for the next request. */
    byte[] take() {
        byte[] body = bytes.length == length ? bytes : Arrays.copyOf(bytes, length);
        bytes = Request.NO_BODY;
        length = 0;
        return body;
    }
}
