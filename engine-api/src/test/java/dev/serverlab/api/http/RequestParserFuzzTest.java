package dev.serverlab.api.http;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Header;
import dev.serverlab.api.app.Request;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Fuzzes the shared parser with random valid requests, mutated requests and random bytes, each fed whole,
 * one byte at a time and in random chunks. For every input:
 * <ul>
 *   <li>nothing but {@link HttpException} is ever thrown, with a status the parser documents and a short
 *       constant reason;</li>
 *   <li>every chunking gives the same requests and the same final outcome as the whole input;</li>
 *   <li>a valid request parses to exactly what was generated;</li>
 *   <li>the parser never holds more than the limits allow ({@link RequestParser#bufferedBytes()}), and
 *       always consumes what it is given unless it returns a request.</li>
 * </ul>
 * Seeded, so a run is reproducible: {@code -Dserverlab.fuzz.seed=N -Dserverlab.fuzz.tries=N} explore further.
 * (A plain loop rather than a property-testing library: shrinking is not needed to read these inputs.)
 */
class RequestParserFuzzTest {

    private static final long SEED = Long.getLong("serverlab.fuzz.seed", 0x5e4e1ab5eedL);
    private static final int TRIES = Integer.getInteger("serverlab.fuzz.tries", 3000);

    /** Small limits, so that inputs reach and cross every one of them. */
    private static final Limits SMALL = Limits.DEFAULTS.withMaxRequestLineBytes(100).withMaxHeaderBytes(200)
            .withMaxHeaderCount(6).withMaxBodyBytes(300);

    private static final Set<Integer> STATUSES = Set.of(400, 413, 414, 417, 431, 501, 505);
    private static final byte[] INTERESTING = bytes("\r\n\0 :\t\u007f\u0080\u00ff,;-+0123456789aAzZ/?%");
    private static final String[] METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "X-CUSTOM"};
    private static final String TCHAR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";

    /** What came out of one run of the parser over an input. */
    private record Outcome(List<String> requests, String end) {
    }

    /** A generated input, and the requests it must parse to when it is known to be valid. */
    private record Input(byte[] bytes, List<String> expected) {
    }

    @Test
    void randomAndMutatedRequestsInRandomChunkings() {
        Random random = new Random(SEED);
        for (int i = 0; i < TRIES; i++) {
            Limits limits = random.nextInt(4) == 0 ? Limits.DEFAULTS : SMALL;
            Input input = generate(random, limits);
            String where = "seed " + SEED + ", try " + i + ", limits " + (limits == SMALL ? "SMALL" : "DEFAULTS")
                    + ", input: " + escape(input.bytes());
            Outcome whole = run(limits, input.bytes(), new int[] {input.bytes().length}, where);
            if (input.expected() != null) {
                assertThat(whole.requests()).as("valid input parses to what was generated; " + where).isEqualTo(input.expected());
                assertThat(whole.end()).as(where).isEqualTo("idle");
            }
            int[][] chunkings = {ones(input.bytes().length), randomChunks(random, input.bytes().length, 17),
                    randomChunks(random, input.bytes().length, Math.max(1, input.bytes().length))};
            for (int[] chunks : chunkings) {
                assertThat(run(limits, input.bytes(), chunks, where)).as("same result whatever the chunking; " + where).isEqualTo(whole);
            }
        }
    }

    @Test
    void anAnnouncedBodyCostsOnlyTheBytesThatArrive() {
        Limits limits = Limits.DEFAULTS;
        RequestParser parser = new RequestParser(limits);
        String head = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + limits.maxBodyBytes() + "\r\n\r\n";
        assertThat(parser.parse(ByteBuffer.wrap(bytes(head + "0123456789")))).isNull();
        assertThat(parser.bufferedBytes()).as("a 1 MiB body announced, 10 bytes sent").isLessThan(16 * 1024);

        RequestParser chunked = new RequestParser(limits);
        String chunkHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nFFFFF\r\nabc";
        assertThat(chunked.parse(ByteBuffer.wrap(bytes(chunkHead)))).isNull();
        assertThat(chunked.bufferedBytes()).as("a 1 MiB chunk announced, 3 bytes sent").isLessThan(16 * 1024);
    }

    // ---- running the parser ------------------------------------------------------------------------

    private static Outcome run(Limits limits, byte[] input, int[] chunks, String where) {
        RequestParser parser = new RequestParser(limits);
        long bound = bufferBound(limits);
        List<String> requests = new ArrayList<>();
        int offset = 0;
        for (int size : chunks) {
            ByteBuffer piece = ByteBuffer.wrap(input, offset, size);
            offset += size;
            while (true) {
                Request request;
                try {
                    request = parser.parse(piece);
                } catch (HttpException e) {
                    checkRefusal(e, where);
                    return new Outcome(requests, "refused " + e.status() + " " + e.reason());
                } catch (Throwable t) {
                    throw new AssertionError("the parser threw " + t + "; " + where, t);
                }
                // Plain checks on this hot path: it runs once per byte in the one-byte chunking.
                if (parser.bufferedBytes() > bound) fail("holds " + parser.bufferedBytes() + " bytes, over the limits' " + bound + "; " + where);
                if (request == null) {
                    if (piece.hasRemaining()) fail("returned null with bytes left unconsumed; " + where);
                    break;
                }
                requests.add(summary(request));
            }
        }
        return new Outcome(requests, parser.inProgress() ? (parser.readingHeaders() ? "in headers" : "in body") : "idle");
    }

    /** The line buffer (at most the longest line allowed), the header fields, and the body. */
    private static long bufferBound(Limits limits) {
        long line = Math.max(Math.max(256, limits.maxRequestLineBytes() + 2), Math.max(limits.maxHeaderBytes(), 1026));
        return line + limits.maxHeaderBytes() + limits.maxBodyBytes();
    }

    private static void checkRefusal(HttpException e, String where) {
        assertThat(e.status()).as("a documented status; " + where).isIn(STATUSES);
        assertThat(e.reason()).as("a short constant reason, no request data; " + where)
                .matches("[A-Za-z0-9 :.,;/-]{5,60}");
    }

    private static String summary(Request r) {
        StringBuilder s = new StringBuilder().append(r.method()).append(' ').append(r.target()).append(' ')
                .append(r.version()).append(" path=").append(r.path()).append(" query=").append(r.query());
        for (Header h : r.headers().fields()) s.append(" [").append(h.name()).append('=').append(h.value()).append(']');
        return s.append(" body=").append(new String(r.body(), StandardCharsets.ISO_8859_1)).toString();
    }

    // ---- generating inputs ---------------------------------------------------------------------------

    private static Input generate(Random random, Limits limits) {
        int kind = random.nextInt(10);
        if (kind < 3) {
            // Valid requests, pipelined, with their expected parse.
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            List<String> expected = new ArrayList<>();
            int n = 1 + random.nextInt(3);
            for (int i = 0; i < n; i++) validRequest(random, limits, out, expected);
            return new Input(out.toByteArray(), expected);
        }
        if (kind == 9) {
            byte[] noise = new byte[random.nextInt(300)];
            for (int i = 0; i < noise.length; i++) noise[i] = random.nextInt(3) == 0 ? pick(random, INTERESTING) : (byte) random.nextInt(256);
            return new Input(noise, null);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        validRequest(random, limits, out, new ArrayList<>());
        if (random.nextBoolean()) validRequest(random, limits, out, new ArrayList<>());
        byte[] bytes = out.toByteArray();
        int mutations = 1 + random.nextInt(4);
        for (int i = 0; i < mutations; i++) bytes = mutate(random, limits, bytes);
        return new Input(bytes, null);
    }

    /** Appends a valid request within {@code limits} to {@code out}, and its summary to {@code expected}. */
    private static void validRequest(Random random, Limits limits, ByteArrayOutputStream out, List<String> expected) {
        String method = METHODS[random.nextInt(METHODS.length)];
        boolean http10 = random.nextInt(5) == 0;
        String version = http10 ? "HTTP/1.0" : "HTTP/1.1";
        String path = "/" + token(random, random.nextInt(12), "abcxyz0123456789/-._~");
        String query = random.nextBoolean() ? "" : token(random, 1 + random.nextInt(10), "abc=&123%");
        String target = query.isEmpty() ? path : path + "?" + query;
        String eol = random.nextInt(6) == 0 ? "\n" : "\r\n";
        List<Header> headers = new ArrayList<>();
        if (!http10 || random.nextBoolean()) headers.add(new Header("Host", "h" + random.nextInt(100)));
        int extra = random.nextInt(Math.max(1, limits.maxHeaderCount() - 3));
        for (int i = 0; i < extra; i++) {
            headers.add(new Header("X-" + token(random, 1 + random.nextInt(8), TCHAR), fieldValue(random)));
        }
        byte[] body = new byte[random.nextInt(4) == 0 ? random.nextInt((int) Math.min(limits.maxBodyBytes(), 200) + 1) : 0];
        for (int i = 0; i < body.length; i++) body[i] = (byte) random.nextInt(256);
        boolean chunked = body.length > 0 && !http10 && random.nextBoolean();
        if (body.length > 0) headers.add(chunked ? new Header("Transfer-Encoding", "chunked") : new Header("Content-Length", Integer.toString(body.length)));

        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(' ').append(version).append(eol);
        int headerBytes = 0;
        List<Header> sent = new ArrayList<>();
        for (Header h : headers) {
            String line = h.name() + ":" + (random.nextBoolean() ? " " : "") + h.value() + (random.nextInt(8) == 0 ? " \t" : "");
            if (headerBytes + line.length() + 2 > limits.maxHeaderBytes() && !h.name().equals("Transfer-Encoding") && !h.name().equals("Content-Length")) {
                continue;
            }
            headerBytes += line.length() + 2;
            head.append(line).append(eol);
            sent.add(h);
        }
        head.append(eol);
        out.writeBytes(bytes(head.toString()));
        if (chunked) {
            int at = 0;
            while (at < body.length) {
                int n = 1 + random.nextInt(body.length - at);
                out.writeBytes(bytes(Integer.toHexString(n) + (random.nextBoolean() ? ";ext=1" : "") + "\r\n"));
                out.write(body, at, n);
                out.writeBytes(bytes("\r\n"));
                at += n;
            }
            out.writeBytes(bytes("0\r\n\r\n"));
        } else {
            out.writeBytes(body);
        }
        StringBuilder s = new StringBuilder().append(method).append(' ').append(target).append(' ').append(version)
                .append(" path=").append(path).append(" query=").append(query);
        for (Header h : sent) s.append(" [").append(h.name()).append('=').append(h.value()).append(']');
        expected.add(s.append(" body=").append(new String(body, StandardCharsets.ISO_8859_1)).toString());
    }

    private static byte[] mutate(Random random, Limits limits, byte[] in) {
        if (in.length == 0) return new byte[] {pick(random, INTERESTING)};
        int at = random.nextInt(in.length);
        return switch (random.nextInt(9)) {
            case 0 -> { // flip one byte
                byte[] b = in.clone();
                b[at] = (byte) random.nextInt(256);
                yield b;
            }
            case 1 -> insert(in, at, new byte[] {pick(random, INTERESTING)});
            case 2 -> { // delete a range
                int n = 1 + random.nextInt(Math.min(8, in.length - at));
                byte[] b = new byte[in.length - n];
                System.arraycopy(in, 0, b, 0, at);
                System.arraycopy(in, at + n, b, at, in.length - at - n);
                yield b;
            }
            case 3 -> { // duplicate a range, such as a header line
                int n = 1 + random.nextInt(Math.min(40, in.length - at));
                yield insert(in, at, Arrays.copyOfRange(in, at, at + n));
            }
            case 4 -> { // a run of bytes right around one of the limits
                int[] sizes = {limits.maxRequestLineBytes(), limits.maxHeaderBytes(), (int) Math.min(limits.maxBodyBytes(), 20_000)};
                int n = Math.max(1, sizes[random.nextInt(sizes.length)] - 1 + random.nextInt(3));
                byte[] run = new byte[n];
                Arrays.fill(run, random.nextBoolean() ? (byte) 'a' : pick(random, INTERESTING));
                yield insert(in, at, run);
            }
            case 5 -> Arrays.copyOf(in, at); // truncate
            case 6 -> insert(in, at, bytes(pick(random, new String[] {"Content-Length: 5\r\n", "Content-Length: -1\r\n",
                    "Content-Length: 99999999999999999999\r\n", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip\r\n",
                    "Content-Length: 3, 4\r\n", "Host: x\r\n", "Expect: 100-continue\r\n", " folded\r\n", "X : y\r\n",
                    "\r\n", "0\r\n\r\n", "fffffffffffffffff\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"})));
            case 7 -> { // CRLF to LF, or LF to CRLF
                String text = new String(in, StandardCharsets.ISO_8859_1);
                yield bytes(random.nextBoolean() ? text.replace("\r\n", "\n") : text.replace("\n", "\r\n"));
            }
            default -> insert(in, at, new byte[] {(byte) random.nextInt(256)});
        };
    }

    // ---- small helpers -----------------------------------------------------------------------------

    private static String fieldValue(Random random) {
        StringBuilder v = new StringBuilder();
        int n = random.nextInt(12);
        for (int i = 0; i < n; i++) {
            int c = random.nextInt(10) == 0 ? 0x80 + random.nextInt(128) : 0x21 + random.nextInt(0x7e - 0x21 + 1);
            v.append((char) c);
            if (i > 0 && i < n - 1 && random.nextInt(6) == 0) v.append(random.nextBoolean() ? ' ' : '\t');
        }
        return v.toString();
    }

    private static String token(Random random, int length, String alphabet) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return s.toString();
    }

    private static int[] ones(int length) {
        int[] chunks = new int[length];
        Arrays.fill(chunks, 1);
        return chunks;
    }

    private static int[] randomChunks(Random random, int length, int max) {
        List<Integer> sizes = new ArrayList<>();
        for (int left = length; left > 0; ) {
            int n = Math.min(left, 1 + random.nextInt(max));
            sizes.add(n);
            left -= n;
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    private static byte[] insert(byte[] in, int at, byte[] what) {
        byte[] b = new byte[in.length + what.length];
        System.arraycopy(in, 0, b, 0, at);
        System.arraycopy(what, 0, b, at, what.length);
        System.arraycopy(in, at, b, at + what.length, in.length - at);
        return b;
    }

    private static byte pick(Random random, byte[] from) {
        return from[random.nextInt(from.length)];
    }

    private static <T> T pick(Random random, T[] from) {
        return from[random.nextInt(from.length)];
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String escape(byte[] bytes) {
        StringBuilder s = new StringBuilder(Math.min(bytes.length, 2000) + 16).append('"');
        for (int i = 0; i < Math.min(bytes.length, 2000); i++) {
            int b = bytes[i] & 0xFF;
            if (b == '\r') s.append("\\r");
            else if (b == '\n') s.append("\\n");
            else if (b == '"' || b == '\\') s.append('\\').append((char) b);
            else if (b >= 0x20 && b < 0x7f) s.append((char) b);
            else s.append(String.format("\\x%02x", b));
        }
        if (bytes.length > 2000) s.append("...(").append(bytes.length).append(" bytes)");
        return s.append('"').toString();
    }
}
