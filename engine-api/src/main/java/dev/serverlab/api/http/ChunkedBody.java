package dev.serverlab.api.http;

import dev.serverlab.api.Limits;

import java.nio.ByteBuffer;

/**
 * Decodes a chunked body (RFC 9112 §7.1) into the request's {@link BodyBuffer}, incrementally, each byte
 * read once.
 *
 * <pre>
 *   SIZE ──► DATA ──► DATA_END ──► SIZE ...
 *     └─ size 0 ─► TRAILERS ─► (empty line) done
 * </pre>
 *
 * Chunk extensions are ignored; trailer fields are read, counted against the header limit, and dropped.
 */
final class ChunkedBody {

    private enum State { SIZE, DATA, DATA_END, TRAILERS }

    /** Chunk-size lines are short; a longer one is an attack or a broken client. */
    private static final int MAX_CHUNK_LINE = 1024;

    private final Limits limits;
    private final LineBuffer line;
    private final BodyBuffer body;
    private State state = State.SIZE;
    private long remaining;
    /** Header bytes so far, the request's fields included: trailers share their limit. */
    private int headerBytes;

    ChunkedBody(Limits limits, LineBuffer line, BodyBuffer body) {
        this.limits = limits;
        this.line = line;
        this.body = body;
    }

    /** Begins a body after {@code headerBytes} bytes of header fields. */
    void start(int headerBytes) {
        this.headerBytes = headerBytes;
        state = State.SIZE;
        remaining = 0;
    }

    int headerBytes() {
        return headerBytes;
    }

    /** Consumes bytes from {@code in}; true once the last chunk and the trailers have been read. */
    boolean read(ByteBuffer in) {
        while (in.hasRemaining()) {
            switch (state) {
                case SIZE -> {
                    if (!line.read(in, MAX_CHUNK_LINE, 400, "chunk size line too long")) return false;
                    remaining = size();
                    if (remaining == 0) {
                        state = State.TRAILERS;
                    } else {
                        if (remaining > limits.maxBodyBytes() - body.length()) throw new HttpException(413, "body too large");
                        state = State.DATA;
                    }
                }
                case DATA -> {
                    remaining -= body.append(in, (int) Math.min(Integer.MAX_VALUE, remaining), (int) limits.maxBodyBytes());
                    if (remaining == 0) state = State.DATA_END;
                }
                case DATA_END -> {
                    if (!line.read(in, 2, 400, "chunk data longer than its size")) return false;
                    if (line.length() != 0) throw RequestParser.bad("chunk data longer than its size");
                    state = State.SIZE;
                }
                case TRAILERS -> {
                    int room = Math.max(0, limits.maxHeaderBytes() - headerBytes - 2);
                    if (!line.read(in, room, 431, "trailer fields too large")) return false;
                    if (line.length() == 0) return true;
                    headerBytes += line.length() + 2;
                    if (line.at(0) == ' ' || line.at(0) == '\t') throw RequestParser.bad("obsolete line folding in trailers");
                    if (line.fieldColon() <= 0) throw RequestParser.bad("malformed trailer field");
                }
            }
        }
        return false;
    }

    /** The chunk size in hex, before any extension; at most 15 digits, so it cannot overflow. */
    private long size() {
        int end = line.indexOf((byte) ';', 0);
        if (end < 0) end = line.length();
        while (end > 0 && (line.at(end - 1) == ' ' || line.at(end - 1) == '\t')) end--;
        if (end == 0 || end > 15) throw RequestParser.bad("malformed chunk size");
        long size = 0;
        for (int i = 0; i < end; i++) {
            int digit = Character.digit(line.at(i), 16);
            if (digit < 0) throw RequestParser.bad("malformed chunk size");
            size = size * 16 + digit;
        }
        return size;
    }
}
