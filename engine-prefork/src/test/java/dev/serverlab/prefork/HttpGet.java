package dev.serverlab.prefork;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One GET on a fresh connection ({@code Connection: close}), so that the kernel picks a worker each time. */
record HttpGet(int status, Map<String, String> headers, String body) {

    static HttpGet send(int port, String path) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return parse(readAll(socket.getInputStream()));
        }
    }

    /** The pid in {@code X-Served-By: pid/thread}. */
    long pid() {
        String servedBy = headers.get("x-served-by");
        return Long.parseLong(servedBy.substring(0, servedBy.indexOf('/')));
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static HttpGet parse(String raw) throws IOException {
        int end = raw.indexOf("\r\n\r\n");
        if (end < 0) throw new IOException("no complete response: '" + raw + "'");
        String[] lines = raw.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        return new HttpGet(status, headers, raw.substring(end + 4));
    }
}
