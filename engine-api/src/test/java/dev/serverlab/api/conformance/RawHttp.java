package dev.serverlab.api.conformance;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The kit's one raw HTTP/1.1 client: it sends exactly the bytes it is given and reads back exactly what the
 * server wrote, and it is strict about what it reads. Every response it parses must follow RFC 9110/9112
 * ({@link ResponseGrammar}): a status line, field names that are tokens, no control characters, lines that end
 * in CRLF, exactly one valid {@code Date} (IMF-fixdate) on a final response, a body framed by exactly one
 * {@code Content-Length} or by chunked coding (none on 1xx, 204 and 304), and a body that arrives whole. A
 * response that breaks any of these is an {@link IOException}, never a pass: so every test in the kit checks
 * the grammar of every answer it reads, ordinary and refusal alike.
 */
public final class RawHttp implements Closeable {

    /** One header field as sent: its name in the server's spelling, its value without surrounding spaces. */
    public record Field(String name, String value) {
    }

    /**
     * A response as received. {@link #headers()} maps lower-cased names to the last value; {@link #fields()}
     * keeps every field in order and spelling.
     */
    public record Reply(String version, int status, String reason, List<Field> fields, byte[] body) {

        public Map<String, String> headers() {
            Map<String, String> map = new LinkedHashMap<>();
            for (Field f : fields) map.put(f.name().toLowerCase(Locale.ROOT), f.value());
            return map;
        }

        /** The value of {@code name}, or null; with several fields of that name, the first. */
        public String header(String name) {
            for (Field f : fields) if (f.name().equalsIgnoreCase(name)) return f.value();
            return null;
        }

        /** Every value of {@code name}, in order. */
        public List<String> values(String name) {
            return fields.stream().filter(f -> f.name().equalsIgnoreCase(name)).map(Field::value).toList();
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public long micros(String name) {
            String value = header(name);
            if (value == null) throw new AssertionError("no " + name + " header in a " + status + " answer");
            return Long.parseLong(value);
        }

        // The server's own evidence of when it handled this request, in microseconds on the shared clock.

        public long acceptedMicros() {
            return micros("X-Accepted-At");
        }

        public long startedMicros() {
            return micros("X-Started-At");
        }

        public long finishedMicros() {
            return micros("X-Finished-At");
        }

        public long serviceMicros() {
            return finishedMicros() - startedMicros();
        }

        public long queuedMicros() {
            return startedMicros() - acceptedMicros();
        }

        /** {@code pid/thread} of what served the request. */
        public String servedBy() {
            return header("X-Served-By");
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttp(InetSocketAddress address) throws IOException {
        this(address, 10_000);
    }

    public RawHttp(InetSocketAddress address, int timeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(address, timeoutMillis);
        socket.setSoTimeout(timeoutMillis);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** A connection to {@code port} on loopback. */
    public static RawHttp connect(int port) throws IOException {
        return new RawHttp(new InetSocketAddress("127.0.0.1", port), 20_000);
    }

    /** One request on a fresh connection, then the connection is closed. */
    public static Reply exchange(InetSocketAddress address, String request) throws IOException {
        try (RawHttp http = new RawHttp(address)) {
            http.send(request);
            return http.read();
        }
    }

    /** A GET on a fresh connection. */
    public static Reply get(InetSocketAddress address, String path) throws IOException {
        return exchange(address, lastRequest(path));
    }

    /** The text of a keep-alive GET for {@code path}. */
    public static String request(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
    }

    /** The text of a GET for {@code path} that asks the server to close the connection after answering. */
    public static String lastRequest(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    }

    public RawHttp send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public Socket socket() {
        return socket;
    }

    /** Changes how long a read waits before it fails with {@link SocketTimeoutException}. */
    public RawHttp timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    /** Half-closes: the server sees the end of the request stream, and can still answer. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** Closes abruptly, as a crashing client does: SO_LINGER 0 makes the close send a reset, not a FIN. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /** Reads one response (an interim 1xx is a response of its own). */
    public Reply read() throws IOException {
        return read(false);
    }

    /** Reads the response to a HEAD: its headers describe a body that does not follow. */
    public Reply readHead() throws IOException {
        return read(true);
    }

    /** Reads responses until {@code count} have arrived. */
    public List<Reply> read(int count) throws IOException {
        List<Reply> replies = new ArrayList<>(count);
        for (int i = 0; i < count; i++) replies.add(read());
        return replies;
    }

    private Reply read(boolean head) throws IOException {
        String statusLine = line();
        if (statusLine == null) throw new IOException("connection closed before a response");
        ResponseGrammar.Head response = ResponseGrammar.head(statusLine, () -> required(line(), "connection closed inside the headers"));
        ResponseGrammar.Framing framing = response.framing();
        byte[] body;
        if (head || !framing.hasBody()) {
            body = new byte[0];
        } else if (framing.chunked()) {
            body = chunked();
        } else {
            body = in.readNBytes((int) framing.length());
            if (body.length != framing.length()) {
                throw new IOException("connection closed inside the body: " + body.length + " of " + framing.length() + " bytes");
            }
        }
        ResponseGrammar.StatusLine status = response.status();
        return new Reply(status.version(), status.code(), status.reason(), response.fields(), body);
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = required(line(), "connection closed inside a chunked body");
            int semi = sizeLine.indexOf(';');
            String hex = semi < 0 ? sizeLine : sizeLine.substring(0, semi);
            if (!hex.matches("[0-9A-Fa-f]{1,8}")) throw new IOException("not a chunk size: " + sizeLine);
            int size = Integer.parseInt(hex, 16);
            if (size == 0) {
                while (!required(line(), "connection closed inside the trailers").isEmpty()) {
                    // trailer fields carry nothing the kit checks
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length != size) throw new IOException("connection closed inside a chunk");
            body.write(chunk);
            if (!required(line(), "connection closed after a chunk").isEmpty()) throw new IOException("a chunk longer than its size");
        }
    }

    /** True when the server closed the connection (end of stream) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // a reset is a close too
        }
    }

    private static String required(String line, String otherwise) throws IOException {
        if (line == null) throw new IOException(otherwise);
        return line;
    }

    /** One line without its CRLF; null at the end of the stream before any byte. A bare LF is an error. */
    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                if (bytes.length == 0 || bytes[bytes.length - 1] != '\r') {
                    throw new IOException("a line that ends in a bare LF: " + line.toString(StandardCharsets.ISO_8859_1));
                }
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        if (line.size() == 0) return null;
        throw new IOException("connection closed inside a line: " + line.toString(StandardCharsets.ISO_8859_1));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
