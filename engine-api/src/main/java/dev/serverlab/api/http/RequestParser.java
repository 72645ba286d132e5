package dev.serverlab.api.http;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Header;
import dev.serverlab.api.app.Headers;
import dev.serverlab.api.app.Request;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * An incremental HTTP/1.1 request parser: feed it bytes as they arrive, and it returns a request once
 * one is complete, or null for "need more bytes". It never blocks and never reads past the request it
 * returns, so pipelined requests stay in the caller's buffer for the next call.
 *
 * <pre>
 *   REQUEST_LINE ──► HEADERS ──┬──────────────────────────────► complete
 *                              ├─► BODY (Content-Length) ─────► complete
 *                              └─► CHUNKED ({@link ChunkedBody}) ─► complete
 * </pre>
 *
 * Lines end in CRLF; a bare LF is accepted as RFC 9112 §2.2 allows, a bare CR is not. Every refusal is an
 * {@link HttpException} with the status to answer (400, 413, 414, 417, 431, 501, 505); after one the
 * connection cannot be trusted and must be closed. One parser serves one connection.
 *
 * <p>Memory is bounded by the {@link Limits}: a line is refused as soon as it passes its limit, and a body
 * buffer grows with the bytes that actually arrive (never to a size a header merely announced), so
 * {@link #bufferedBytes()} never exceeds the request line, header and body limits together.
 *
 * <p>On a keep-alive connection clients repeat themselves: the same target, the same {@code Host}. A
 * target or field that spells exactly what the previous request sent is shared with it instead of copied
 * (both are immutable); a request that repeats the previous one in every part (a keep-alive client asking
 * again, as load generators do) is the previous {@link Request} itself, so parsing it allocates nothing.
 */
public final class RequestParser {

    private enum State { REQUEST_LINE, HEADERS, BODY, CHUNKED }

    /** Empty lines tolerated before a request line (RFC 9112 §2.2 says to ignore at least one). */
    private static final int MAX_LEADING_EMPTY_LINES = 8;

    private final Limits limits;
    private final LineBuffer line = new LineBuffer();
    private final BodyBuffer body = new BodyBuffer();
    private final ChunkedBody chunked;
    private State state = State.REQUEST_LINE;

    private String method;
    private String target;
    private String version;
    private List<Header> headers = new ArrayList<>(16);
    private int headerBytes;
    private int leadingEmptyLines;
    /** The Content-Length being read in state BODY. */
    private int bodyExpected;
    private boolean continueWanted;
    private boolean started;

    /** The previous request's target and fields, shared by the next request where it repeats them. */
    private String previousTarget;
    private List<Header> previousFields = new ArrayList<>(16);
    private Headers previousHeaders;
    private Request previousRequest;

    public RequestParser(Limits limits) {
        this.limits = limits;
        this.chunked = new ChunkedBody(limits, line, body);
    }

    /**
     * Consumes bytes from {@code in} (from its position to its limit) and returns the next complete request,
     * or null when more bytes are needed. On return, {@code in}'s position is just past the bytes used.
     *
     * @throws HttpException when the request must be refused
     */
    public Request parse(ByteBuffer in) {
        while (in.hasRemaining()) {
            started = true;
            switch (state) {
                case REQUEST_LINE -> {
                    if (!line.read(in, limits.maxRequestLineBytes(), 414, "request line too long")) return null;
                    if (line.length() == 0) {
                        if (++leadingEmptyLines > MAX_LEADING_EMPTY_LINES) throw bad("empty lines instead of a request");
                        continue;
                    }
                    requestLine();
                    state = State.HEADERS;
                }
                case HEADERS -> {
                    int room = Math.max(0, limits.maxHeaderBytes() - headerBytes - 2);
                    if (!line.read(in, room, 431, "header fields too large")) return null;
                    headerBytes += line.length() + 2;
                    if (line.length() > 0) {
                        headerLine();
                        continue;
                    }
                    Request done = endOfHeaders();
                    if (done != null) return done;
                }
                case BODY -> {
                    body.append(in, bodyExpected - body.length(), bodyExpected);
                    if (body.length() == bodyExpected) return complete();
                }
                case CHUNKED -> {
                    if (chunked.read(in)) return complete();
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
        int fields = state == State.CHUNKED ? chunked.headerBytes() : headerBytes;
        return (long) line.capacity() + fields + body.capacity();
    }

    private void requestLine() {
        int sp1 = line.indexOf((byte) ' ', 0);
        int sp2 = sp1 < 0 ? -1 : line.indexOf((byte) ' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || line.indexOf((byte) ' ', sp2 + 1) >= 0) {
            throw bad("malformed request line");
        }
        for (int i = 0; i < sp1; i++) {
            if (!isTokenChar(line.at(i))) throw bad("malformed method");
        }
        for (int i = sp1 + 1; i < sp2; i++) {
            if (line.at(i) <= ' ' || line.at(i) == 127) throw bad("malformed request target");
        }
        if (sp2 == sp1 + 1) throw bad("empty request target");
        version = version(sp2 + 1);
        method = known(METHODS, 0, sp1);
        target = line.spells(previousTarget, sp1 + 1, sp2) ? previousTarget : line.text(sp1 + 1, sp2);
        if (!(target.startsWith("/") || target.equals("*") && method.equals("OPTIONS") || isAbsoluteForm(target))) {
            throw bad("malformed request target");
        }
    }

    private String version(int from) {
        int n = line.length() - from;
        if (n != 8 || line.at(from) != 'H' || line.at(from + 1) != 'T' || line.at(from + 2) != 'T' || line.at(from + 3) != 'P'
                || line.at(from + 4) != '/' || !isDigit(line.at(from + 5)) || line.at(from + 6) != '.' || !isDigit(line.at(from + 7))) {
            throw bad("malformed HTTP version");
        }
        if (line.at(from + 5) == '1' && line.at(from + 7) == '1') return "HTTP/1.1";
        if (line.at(from + 5) == '1' && line.at(from + 7) == '0') return "HTTP/1.0";
        throw new HttpException(505, "only HTTP/1.1 and HTTP/1.0 are supported");
    }

    private void headerLine() {
        if (headers.size() >= limits.maxHeaderCount()) throw new HttpException(431, "too many header fields");
        if (line.at(0) == ' ' || line.at(0) == '\t') throw bad("obsolete line folding");
        int colon = line.fieldColon();
        if (colon <= 0) throw bad("malformed header field");
        if (line.controlInValue()) throw bad("control character in a header field");
        int start = colon + 1;
        int end = line.length();
        while (start < end && (line.at(start) == ' ' || line.at(start) == '\t')) start++;
        while (end > start && (line.at(end - 1) == ' ' || line.at(end - 1) == '\t')) end--;
        int i = headers.size();
        Header same = i < previousFields.size() ? previousFields.get(i) : null;
        if (same != null && line.spells(same.name(), 0, colon) && line.spells(same.value(), start, end)) {
            headers.add(same);
        } else {
            headers.add(new Header(known(FIELD_NAMES, 0, colon), line.text(start, end)));
        }
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
            chunked.start(headerBytes);
            state = State.CHUNKED;
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

    private Request complete() {
        byte[] content = body.take();
        Headers fields = fields();
        Request previous = previousRequest;
        if (previous != null && content.length == 0 && previous.body().length == 0 && previous.method() == method
                && previous.target() == target && previous.version() == version && previous.headers() == fields) {
            reset();
            return previous; // a value equal to the previous request in every part: the same immutable record serves
        }
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
        Request request = new Request(method, target, path, query, version, fields, content);
        previousRequest = request;
        reset();
        return request;
    }

    /** The fields as a {@link Headers}: the previous request's, when every field repeated it. */
    private Headers fields() {
        previousTarget = target;
        boolean same = previousHeaders != null && headers.size() == previousFields.size();
        for (int i = 0; same && i < headers.size(); i++) same = headers.get(i) == previousFields.get(i);
        if (!same) previousHeaders = new Headers(headers);
        List<Header> swap = previousFields;
        previousFields = headers;
        headers = swap;
        return previousHeaders;
    }

    private void reset() {
        state = State.REQUEST_LINE;
        line.reset();
        method = null;
        target = null;
        version = null;
        headers.clear();
        headerBytes = 0;
        leadingEmptyLines = 0;
        bodyExpected = 0;
        continueWanted = false;
        started = false;
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
        for (String k : known) {
            if (line.spells(k, from, to)) return k;
        }
        return line.text(from, to);
    }

    private static boolean isAbsoluteForm(String target) {
        return target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8);
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean isTokenChar(byte b) {
        return LineBuffer.isTokenChar(b);
    }

    static HttpException bad(String reason) {
        return new HttpException(400, reason);
    }
}
