package dev.serverlab.api.conformance;

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
 * A raw HTTP/1.1 client for tests: it sends exactly the bytes it is given and parses exactly what comes
 * back, so a test sees what a server really wrote.
 */
public final class RawHttp implements Closeable {

    /** A response as received. Header names are lower-cased; repeated fields keep the last value. */
    public record Reply(String version, int status, String reason, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public long micros(String name) {
            return Long.parseLong(header(name));
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
        in = socket.getInputStream();
        out = socket.getOutputStream();
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
        return exchange(address, "GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
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

    /** Reads one response; a HEAD response has no body whatever its Content-Length says. */
    public Reply read() throws IOException {
        return read(false);
    }

    public Reply readHead() throws IOException {
        return read(true);
    }

    private Reply read(boolean head) throws IOException {
        String statusLine = line();
        if (statusLine == null) throw new IOException("connection closed before a response");
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not a status line: " + statusLine);
        Map<String, String> headers = new LinkedHashMap<>();
        String line;
        while ((line = line()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0) throw new IOException("malformed header line: " + line);
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        if (line == null) throw new IOException("connection closed inside the headers");
        int status = Integer.parseInt(parts[1]);
        byte[] body;
        String length = headers.get("content-length");
        if (head || status == 204 || status == 304 || status / 100 == 1) {
            body = new byte[0];
        } else if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
            if (body.length != Integer.parseInt(length)) throw new IOException("connection closed inside the body");
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = chunked();
        } else {
            body = in.readAllBytes();
        }
        return new Reply(parts[0], status, parts.length > 2 ? parts[2] : "", headers, body);
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line();
            if (sizeLine == null) throw new IOException("connection closed inside a chunked body");
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                String trailer;
                while ((trailer = line()) != null && !trailer.isEmpty()) {
                    // trailers are dropped
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            line();
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

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads responses until {@code count} have arrived. */
    public List<Reply> read(int count) throws IOException {
        List<Reply> replies = new ArrayList<>(count);
        for (int i = 0; i < count; i++) replies.add(read());
        return replies;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
