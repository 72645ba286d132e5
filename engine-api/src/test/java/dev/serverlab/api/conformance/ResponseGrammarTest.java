package dev.serverlab.api.conformance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kit's client refuses every response that breaks the grammar, so a broken server cannot pass a kit test. */
class ResponseGrammarTest {

    private static final String DATE = "Date: Tue, 01 Dec 2026 05:02:47 GMT\r\n";

    @Test
    void aWellFormedResponseIsRead() throws Exception {
        RawHttp.Reply reply = serve("HTTP/1.1 200 OK\r\nServer: s\r\n" + DATE + "Content-Length: 3\r\n\r\nabc");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("abc");
        assertThat(reply.fields()).extracting(RawHttp.Field::name).containsExactly("Server", "Date", "Content-Length");
    }

    @Test
    void aChunkedResponseIsRead() throws Exception {
        assertThat(serve("HTTP/1.1 200 OK\r\n" + DATE + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").text()).isEqualTo("abc");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "HTTP/1.1 200 OK\r\nDate: Tue, 1 Dec 2026 05:02:47 GMT\r\nContent-Length: 0\r\n\r\n",     // one-digit day
            "HTTP/1.1 200 OK\r\nDate: Wed, 01 Dec 2026 05:02:47 GMT\r\nContent-Length: 0\r\n\r\n",    // wrong weekday
            "HTTP/1.1 200 OK\r\nDate: Tue, 01 Dec 2026 05:02:47 UTC\r\nContent-Length: 0\r\n\r\n",    // not GMT
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",                                           // no Date
            "HTTP/1.1 200 OK\r\n" + DATE + DATE + "Content-Length: 0\r\n\r\n",                          // two Dates
            "HTTP/1.1 200 OK\r\n" + DATE + "\r\nabc",                                                   // no length
            "HTTP/1.1 200 OK\r\n" + DATE + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",         // two lengths
            "HTTP/1.1 200 OK\r\n" + DATE + "Content-Length: 5\r\n\r\nabc",                              // truncated body
            "HTTP/1.1 200 OK\r\n" + DATE + "Content-Length: +3\r\n\r\nabc",
            "HTTP/1.1 204 No Content\r\n" + DATE + "Content-Length: 0\r\n\r\n",                         // length on 204
            "HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n",                                       // length on 1xx
            "HTTP/1.1 200 OK\r\n" + DATE + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\n" + DATE + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", // chunk too long
            "HTTP/1.1 200 OK\r\n" + DATE + "Transfer-Encoding: chunked\r\n\r\n3\r\nab",                  // truncated chunk
            "HTTP/1.1 200\r\n" + DATE + "Content-Length: 0\r\n\r\n",                                    // no SP after the code
            "HTTP/1.1 2000 OK\r\n" + DATE + "Content-Length: 0\r\n\r\n",
            "HTTP/2 200 OK\r\n" + DATE + "Content-Length: 0\r\n\r\n",
            "garbage\r\n\r\n",
            "HTTP/1.1 200 OK\n" + DATE + "Content-Length: 0\r\n\r\n",                                   // bare LF
            "HTTP/1.1 200 OK\r\nBad Name: x\r\n" + DATE + "Content-Length: 0\r\n\r\n",                 // name not a token
            "HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\n" + DATE + "Content-Length: 0\r\n\r\n",              // control character
            "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n" + DATE + "Content-Length: 0\r\n\r\n",               // obs-fold
            "HTTP/1.1 200 OK\r\n" + DATE + "Content-Len",                                               // closed in the headers
            ""})                                                                                        // closed before anything
    void aBrokenResponseIsAnError(String response) {
        assertThatThrownBy(() -> serve(response)).isInstanceOf(IOException.class);
    }

    /** Serves {@code response} once over loopback, then closes, and reads it with the kit's client. */
    private static RawHttp.Reply serve(String response) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread peer = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException ignored) {
                    // the test sees what the client read
                }
            });
            try (RawHttp http = new RawHttp(new InetSocketAddress("127.0.0.1", server.getLocalPort()), 5_000)) {
                http.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                return http.read();
            } finally {
                peer.join();
            }
        }
    }
}
