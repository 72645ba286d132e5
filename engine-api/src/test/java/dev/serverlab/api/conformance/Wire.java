package dev.serverlab.api.conformance;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A raw HTTP/1.1 client over one loopback socket: exact bytes out, responses parsed by hand. */
public final class Wire implements AutoCloseable {

    private static final int TIMEOUT_MILLIS = 20_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private Wire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static Wire connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        return new Wire(socket);
    }

    /** Sends {@code raw} on a new connection and reads one response. */
    public static Answer exchange(int port, String raw) throws IOException {
        try (Wire wire = connect(port)) {
            return wire.send(raw).read();
        }
    }

    public static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
    }

    public Wire send(String raw) throws IOException {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    public Wire send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    public Wire timeout(int millis) throws SocketException {
        socket.setSoTimeout(millis);
        return this;
    }

    public Answer read() throws IOException {
        return read(false);
    }

    /** Reads one response; {@code head} means it answers HEAD, so no body follows its headers. */
    public Answer read(boolean head) throws IOException {
        String statusLine = line();
        if (statusLine == null) throw new IOException("connection closed before a response");
        String[] parts = statusLine.split(" ", 3);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        String line;
        while ((line = line()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            String name = line.substring(0, colon);
            names.add(name);
            headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
        }
        int status = Integer.parseInt(parts[1]);
        byte[] body = new byte[0];
        List<String> length = headers.get("content-length");
        if (!head && status >= 200 && status != 204 && status != 304 && length != null) {
            body = in.readNBytes(Integer.parseInt(length.get(0)));
        }
        return new Answer(status, parts.length > 2 ? parts[2] : "", headers, names, body);
    }

    /** True when the server closes the connection (end of stream or reset) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') break;
            b.write(c);
        }
        if (c < 0 && b.size() == 0) return null;
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** One parsed response. Header names are looked up case-insensitively; {@code names} keeps their order and spelling. */
    public record Answer(int status, String reason, Map<String, List<String>> headers, List<String> names, byte[] body) {

        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.get(0);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public long micros(String name) {
            return Long.parseLong(header(name));
        }
    }
}
