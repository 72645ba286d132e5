package dev.serverlab.api.http;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Header;
import dev.serverlab.api.app.Headers;
import dev.serverlab.api.app.Request;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An incremental HTTP/1.1 request parser: feed it bytes as they arrive, and it returns a request once
 * one is complete, or null for "need more bytes". It never blocks and never reads past the request it
 * returns, so pipelined requests stay in the caller's buffer for the next call.
 *
 * <pre>
 *   REQUEST_LINE ──► HEADERS ──┬──────────────────────────────────────────► complete
 *                              ├─► BODY (Content-Length) ─────────────────► complete
 *                              └─► CHUNK_SIZE ◄─► CHUNK_DATA ─► CHUNK_END
 *                                      └─ size 0 ─► TRAILERS ─────────────► complete
 * </pre>
 *
 * Lines end in CRLF; a bare LF is accepted as RFC 9112 §2.2 allows, a bare CR is not. Every refusal is an
 * {@link HttpException} with the status to answer (400, 413, 414, 417, 431, 501, 505); after one the
 * connection cannot be trusted and must be closed. One parser serves one connection.
 *
 * <p>Memory is bounded by the {@link Limits}: a line is refused as soon as it passes its limit, and a body
 * buffer grows with the bytes that actually arrive (never to a size a header merely announced), so
 * {@link #bufferedBytes()} never exceeds the request line, header and body limits together.
 */
public final class RequestParser {

    private enum State { REQUEST_LINE, HEADERS, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS }

    /** Chunk-size lines are short; a longer one is an attack or a broken client. */
    private static final int MAX_CHUNK_LINE = 1024;
    /** Empty lines tolerated before a request line (RFC 9112 §2.2 says to ignore at least one). */
    private static final int MAX_LEADING_EMPTY_LINES = 8;
    /** The first body buffer; it doubles as bytes arrive, so announcing a large body costs nothing. */
    private static final int FIRST_BODY_BUFFER = 8 * 1024;

    private final Limits limits;
    private State state = State.REQUEST_LINE;

    private byte[] line = new byte[256];
    private int lineLength;
    private boolean lineHasBareCr;
    /** The line in {@code line} was handed out; the next byte starts a new one. */
    private boolean lineDone;

    private String method;
    private String target;
    private String version;
    private final List<Header> headers = new ArrayList<>(16);
    private int headerBytes;
    private int leadingEmptyLines;

    private byte[] body = Request.NO_BODY;
    private int bodyLength;
    /** The Content-Length being read in state BODY. */
    private int bodyExpected;
    private long chunkRemaining;
    private boolean continueWanted;
    private boolean started;

    public RequestParser(Limits limits) {
        this.limits = limits;
    }

    /**
     * Consumes bytes from {@code in} (from its position to its limit) and returns the next complete request,
     * or null when more bytes are needed. On return, {@code in}'s position is just past the bytes used.
     *
     * @throws HttpException when the request must be refused
     */
    public Request parse(ByteBuffer in) {
        while (in.hasRemaining()) {
            switch (state) {
                case REQUEST_LINE -> {
                    if (!readLine(in, limits.maxRequestLineBytes(), 414, "request line too long")) return null;
                    if (lineLength == 0) {
                        if (++leadingEmptyLines > MAX_LEADING_EMPTY_LINES) throw bad("empty lines instead of a request");
                        continue;
                    }
                    requestLine();
                    state = State.HEADERS;
                }
                case HEADERS -> {
                    if (!readLine(in, remainingHeaderBytes(), 431, "header fields too large")) return null;
                    if (lineLength > 0) {
                        headerLine();
                        continue;
                    }
                    Request done = endOfHeaders();
                    if (done != null) return done;
                }
                case BODY -> {
                    int n = Math.min(in.remaining(), bodyExpected - bodyLength);
                    ensureBodyCapacity(bodyLength + n, bodyExpected);
                    in.get(body, bodyLength, n);
                    bodyLength += n;
                    if (bodyLength == bodyExpected) return complete();
                }
                case CHUNK_SIZE -> {
                    if (!readLine(in, MAX_CHUNK_LINE, 400, "chunk size line too long")) return null;
                    chunkRemaining = chunkSize();
                    if (chunkRemaining == 0) {
                        state = State.TRAILERS;
                    } else {
                        if (chunkRemaining > limits.maxBodyBytes() - bodyLength) throw new HttpException(413, "body too large");
                        state = State.CHUNK_DATA;
                    }
                }
                case CHUNK_DATA -> {
                    int n = (int) Math.min(in.remaining(), chunkRemaining);
                    ensureBodyCapacity(bodyLength + n, (int) limits.maxBodyBytes());
                    in.get(body, bodyLength, n);
                    bodyLength += n;
                    chunkRemaining -= n;
                    if (chunkRemaining == 0) state = State.CHUNK_END;
                }
                case CHUNK_END -> {
                    if (!readLine(in, 2, 400, "chunk data longer than its size")) return null;
                    if (lineLength != 0) throw bad("chunk data longer than its size");
                    state = State.CHUNK_SIZE;
                }
                case TRAILERS -> {
                    // Trailer fields are read, counted against the header limit, and dropped.
                    if (!readLine(in, remainingHeaderBytes(), 431, "trailer fields too large")) return null;
                    if (lineLength == 0) return complete();
                    if (line[0] == ' ' || line[0] == '\t') throw bad("obsolete line folding in trailers");
                    if (colon() <= 0) throw bad("malformed trailer field");
                }
            }
        }
        return null;
    }

    /**
     * True, once, when the request asked for {@code Expect: 100-continue} and its headers were accepted:
     * the caller should now send {@code HTTP/1.1 100 Continue} so the client sends the body.
     */
    public boolean takeContinue() {
        boolean wanted = continueWanted;
        continueWanted = false;
        return wanted;
    }

    /** True when part of a request has arrived: the connection is busy, not idle between requests. */
    public boolean inProgress() {
        return started;
    }

    /** True while the request line and headers are still being read. */
    public boolean readingHeaders() {
        return started && (state == State.REQUEST_LINE || state == State.HEADERS);
    }

    /**
     * The bytes this parser holds for the request in progress: its line buffer, the header fields read so
     * far and the body buffer. It stays within the request line, header and body limits together (plus a
     * few hundred bytes of line buffer), whatever a client sends: the figure a server's memory per
     * connection is bounded by.
     */
    public long bufferedBytes() {
        return (long) line.length + headerBytes + body.length;
    }

    /**
     * Reads bytes up to LF into {@code line}, without the line end. Returns false when the line is not
     * complete yet. A line longer than {@code max} is refused with {@code status}.
     */
    private boolean readLine(ByteBuffer in, int max, int status, String reason) {
        if (lineDone) {
            lineDone = false;
            lineLength = 0;
            lineHasBareCr = false;
        }
        while (in.hasRemaining()) {
            byte b = in.get();
            started = true;
            if (b == '\n') {
                if (lineLength > 0 && line[lineLength - 1] == '\r') lineLength--;
                if (lineHasBareCr || (lineLength > 0 && line[lineLength - 1] == '\r')) throw bad("bare CR in a line");
                countLine();
                lineDone = true;
                return true;
            }
            if (lineLength > 0 && line[lineLength - 1] == '\r') lineHasBareCr = true;
            // The CR of a CRLF does not count against the limit: a line of exactly max bytes is allowed.
            if (lineLength >= max && !(b == '\r' && lineLength == max)) throw new HttpException(status, reason);
            if (lineLength == line.length) line = Arrays.copyOf(line, Math.min(line.length * 2, Math.max(max, 16) + 2));
            line[lineLength++] = b;
        }
        return false;
    }

    private void countLine() {
        if (state == State.HEADERS || state == State.TRAILERS) headerBytes += lineLength + 2;
    }

    /** The longest next header line allowed: each line costs its length plus 2 for CRLF. */
    private int remainingHeaderBytes() {
        return Math.max(0, limits.maxHeaderBytes() - headerBytes - 2);
    }

    private void requestLine() {
        int sp1 = indexOf((byte) ' ', 0);
        int sp2 = sp1 < 0 ? -1 : indexOf((byte) ' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || indexOf((byte) ' ', sp2 + 1) >= 0) {
            throw bad("malformed request line");
        }
        for (int i = 0; i < sp1; i++) {
            if (!isTokenChar(line[i])) throw bad("malformed method");
        }
        for (int i = sp1 + 1; i < sp2; i++) {
            if (line[i] <= ' ' || line[i] == 127) throw bad("malformed request target");
        }
        if (sp2 == sp1 + 1) throw bad("empty request target");
        version = version(sp2 + 1);
        method = known(METHODS, 0, sp1);
        target = ascii(sp1 + 1, sp2);
        if (!(target.startsWith("/") || target.equals("*") && method.equals("OPTIONS") || isAbsoluteForm(target))) {
            throw bad("malformed request target");
        }
    }

    private String version(int from) {
        int n = lineLength - from;
        if (n != 8 || line[from] != 'H' || line[from + 1] != 'T' || line[from + 2] != 'T' || line[from + 3] != 'P'
                || line[from + 4] != '/' || !isDigit(line[from + 5]) || line[from + 6] != '.' || !isDigit(line[from + 7])) {
            throw bad("malformed HTTP version");
        }
        if (line[from + 5] == '1' && line[from + 7] == '1') return "HTTP/1.1";
        if (line[from + 5] == '1' && line[from + 7] == '0') return "HTTP/1.0";
        throw new HttpException(505, "only HTTP/1.1 and HTTP/1.0 are supported");
    }

    private void headerLine() {
        if (headers.size() >= limits.maxHeaderCount()) throw new HttpException(431, "too many header fields");
        if (line[0] == ' ' || line[0] == '\t') throw bad("obsolete line folding");
        int colon = colon();
        if (colon <= 0) throw bad("malformed header field");
        int start = colon + 1;
        int end = lineLength;
        while (start < end && (line[start] == ' ' || line[start] == '\t')) start++;
        while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t')) end--;
        for (int i = start; i < end; i++) {
            int b = line[i] & 0xFF; // bytes above 127 are obs-text, which a field value may carry
            if ((b < ' ' && b != '\t') || b == 127) throw bad("control character in a header field");
        }
        headers.add(new Header(known(FIELD_NAMES, 0, colon), new String(line, start, end - start, StandardCharsets.ISO_8859_1)));
    }

    /** The position of the colon after a valid field name, or -1. */
    private int colon() {
        for (int i = 0; i < lineLength; i++) {
            byte b = line[i];
            if (b == ':') return i;
            if (!isTokenChar(b)) return -1;
        }
        return -1;
    }

    private Request endOfHeaders() {
        int hosts = 0;
        String contentLength = null;
        String transferEncoding = null;
        String expect = null;
        for (Header h : headers) {
            String name = h.name();
            if (name.equalsIgnoreCase("Host")) {
                hosts++;
            } else if (name.equalsIgnoreCase("Content-Length")) {
                contentLength = sameLength(contentLength, h.value());
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                transferEncoding = transferEncoding == null ? h.value() : transferEncoding + "," + h.value();
            } else if (name.equalsIgnoreCase("Expect")) {
                expect = h.value();
            }
        }
        boolean http11 = version.equals("HTTP/1.1");
        if (hosts > 1 || (http11 && hosts == 0)) throw bad(hosts == 0 ? "missing Host header" : "more than one Host header");
        if (transferEncoding != null && contentLength != null) throw bad("both Content-Length and Transfer-Encoding");
        if (transferEncoding != null) {
            if (!http11) throw bad("Transfer-Encoding in an HTTP/1.0 request");
            transferCodings(transferEncoding);
            expectContinue(expect, http11);
            state = State.CHUNK_SIZE;
            return null;
        }
        long length = contentLength == null ? 0 : Long.parseLong(contentLength);
        if (length > limits.maxBodyBytes()) throw new HttpException(413, "body too large");
        if (length == 0) return complete();
        expectContinue(expect, http11);
        bodyExpected = (int) length;
        state = State.BODY;
        return null;
    }

    /**
     * RFC 9112 §6.3: without chunked as the final coding (once) the body's length is unknown, so 400; a
     * coding before chunked that we do not decode (gzip, say) is 501 (§6.1).
     */
    private static void transferCodings(String value) {
        String[] codings = value.split(",", -1);
        for (int i = 0; i < codings.length; i++) {
            boolean chunked = codings[i].trim().equalsIgnoreCase("chunked");
            if (chunked != (i == codings.length - 1)) throw bad("chunked must be the last transfer coding, once");
        }
        if (codings.length > 1) throw new HttpException(501, "only the chunked transfer coding is supported");
    }

    private void expectContinue(String expect, boolean http11) {
        if (expect == null) return;
        if (!expect.equalsIgnoreCase("100-continue")) throw new HttpException(417, "only Expect: 100-continue is supported");
        continueWanted = http11;
    }

    /** Content-Length: digits only; repeated values (in one field or several) must all agree. */
    private static String sameLength(String previous, String value) {
        String agreed = previous;
        for (String part : value.split(",", -1)) {
            String v = part.trim();
            if (v.isEmpty() || v.length() > 18) throw bad("malformed Content-Length");
            for (int i = 0; i < v.length(); i++) {
                if (!isDigit((byte) v.charAt(i))) throw bad("malformed Content-Length");
            }
            v = stripZeros(v);
            if (agreed != null && !agreed.equals(v)) throw bad("conflicting Content-Length values");
            agreed = v;
        }
        return agreed;
    }

    private static String stripZeros(String digits) {
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') i++;
        return digits.substring(i);
    }

    private long chunkSize() {
        int end = lineLength;
        for (int i = 0; i < lineLength; i++) {
            if (line[i] == ';') {
                end = i;
                break;
            }
        }
        while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) end--;
        if (end == 0 || end > 15) throw bad("malformed chunk size");
        long size = 0;
        for (int i = 0; i < end; i++) {
            int digit = Character.digit(line[i], 16);
            if (digit < 0) throw bad("malformed chunk size");
            size = size * 16 + digit;
        }
        return size;
    }

    /** Grows the body buffer to hold {@code needed} bytes: doubling, from a small start, never past {@code cap}. */
    private void ensureBodyCapacity(int needed, int cap) {
        if (needed > body.length) {
            long doubled = Math.max((long) body.length * 2, FIRST_BODY_BUFFER);
            body = Arrays.copyOf(body, (int) Math.min(cap, Math.max(needed, doubled)));
        }
    }

    private Request complete() {
        byte[] content = body.length == bodyLength ? body : Arrays.copyOf(body, bodyLength);
        int q = target.indexOf('?');
        String path;
        String query;
        if (target.startsWith("/")) {
            path = q < 0 ? target : target.substring(0, q);
            query = q < 0 ? "" : target.substring(q + 1);
        } else if (target.equals("*")) {
            path = "*";
            query = "";
        } else {
            int slash = target.indexOf('/', target.indexOf("//") + 2);
            String rest = slash < 0 ? "/" : target.substring(slash);
            int rq = rest.indexOf('?');
            path = rq < 0 ? rest : rest.substring(0, rq);
            query = rq < 0 ? "" : rest.substring(rq + 1);
        }
        Request request = new Request(method, target, path, query, version, new Headers(headers), content);
        reset();
        return request;
    }

    private void reset() {
        state = State.REQUEST_LINE;
        lineLength = 0;
        lineHasBareCr = false;
        lineDone = false;
        method = null;
        target = null;
        version = null;
        headers.clear();
        headerBytes = 0;
        leadingEmptyLines = 0;
        body = Request.NO_BODY;
        bodyLength = 0;
        bodyExpected = 0;
        chunkRemaining = 0;
        continueWanted = false;
        started = false;
        if (line.length > 4096) line = new byte[256];
    }

    private int indexOf(byte b, int from) {
        for (int i = from; i < lineLength; i++) {
            if (line[i] == b) return i;
        }
        return -1;
    }

    private String ascii(int from, int to) {
        return new String(line, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /**
     * The usual methods and field names, spelled as clients send them. A name that matches one exactly is
     * shared instead of copied: a typical request then allocates about a third less (see RequestParserBenchmark).
     */
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    private static final String[] FIELD_NAMES = {"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
            "Connection", "Content-Length", "Content-Type", "Transfer-Encoding", "Expect", "Cookie", "Cache-Control"};

    /** The entry of {@code known} that the line's bytes {@code [from, to)} spell exactly, or a new string. */
    private String known(String[] known, int from, int to) {
        int n = to - from;
        candidates:
        for (String k : known) {
            if (k.length() != n) continue;
            for (int i = 0; i < n; i++) {
                if (line[from + i] != k.charAt(i)) continue candidates;
            }
            return k;
        }
        return ascii(from, to);
    }

    private static boolean isAbsoluteForm(String target) {
        return target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8);
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** RFC 9110 tchar. */
    private static boolean isTokenChar(byte b) {
        if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') return true;
        return switch (b) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }

    private static HttpException bad(String reason) {
        return new HttpException(400, reason);
    }
}
