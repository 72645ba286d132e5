package dev.serverlab.lab.load;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResponseFramingTest {

    /** Feeds the text one byte at a time and returns the index where each response ended. */
    private static int[] endsByteByByte(ResponseFraming framing, String text) throws ResponseFraming.Malformed {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        int[] ends = new int[8];
        int n = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (framing.feed(bytes, i, i + 1) >= 0) ends[n++] = i + 1;
        }
        return java.util.Arrays.copyOf(ends, n);
    }

    @Test
    void framesContentLengthResponsesInAnyFragments() throws Exception {
        String one = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-LENGTH: 14\r\n\r\nHello, World!\n";
        String two = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n";
        ResponseFraming framing = new ResponseFraming(32);
        assertThat(endsByteByByte(framing, one + two)).containsExactly(one.length(), one.length() + two.length());
        assertThat(framing.status()).isEqualTo(404);
        assertThat(framing.closeAfter()).isTrue();
        assertThat(framing.bodyIs("no\n".getBytes(StandardCharsets.US_ASCII))).isTrue();

        byte[] both = (one + two).getBytes(StandardCharsets.ISO_8859_1);
        ResponseFraming whole = new ResponseFraming(0);
        int end = whole.feed(both, 0, both.length);
        assertThat(end).isEqualTo(one.length());
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.closeAfter()).isFalse();
        assertThat(whole.feed(both, end, both.length)).isEqualTo(both.length);
    }

    @Test
    void framesChunkedBodiesWithExtensionsAndTrailers() throws Exception {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nHello\r\n9\r\n, World!\n\r\n0\r\nX-Trailer: t\r\n\r\n";
        ResponseFraming framing = new ResponseFraming(32);
        assertThat(endsByteByByte(framing, chunked + chunked)).containsExactly(chunked.length(), 2 * chunked.length());
        assertThat(framing.bodyIs("Hello, World!\n".getBytes(StandardCharsets.US_ASCII))).isTrue();
    }

    @Test
    void skipsInterimAnswersAndKnowsBodilessOnes() throws Exception {
        String interim = "HTTP/1.1 100 Continue\r\n\r\n";
        String noContent = "HTTP/1.1 204 No Content\r\n\r\n";
        ResponseFraming framing = new ResponseFraming(0);
        assertThat(endsByteByByte(framing, interim + noContent)).containsExactly(interim.length() + noContent.length());
        assertThat(framing.status()).isEqualTo(204);
    }

    @Test
    void aBodyWithoutLengthEndsWithTheConnection() throws Exception {
        ResponseFraming framing = new ResponseFraming(16);
        assertThat(endsByteByByte(framing, "HTTP/1.0 200 OK\r\n\r\nuntil close")).isEmpty();
        assertThat(framing.inProgress()).isTrue();
        assertThat(framing.closeEndsResponse()).isTrue();
        assertThat(framing.closeAfter()).isTrue();
        assertThat(framing.bodyText()).isEqualTo("until close");
    }

    @Test
    void refusesWhatIsNotHttp() {
        byte[] junk = "SSH-2.0-OpenSSH\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> new ResponseFraming(0).feed(junk, 0, junk.length)).isInstanceOf(ResponseFraming.Malformed.class);
        byte[] badLength = "HTTP/1.1 200 OK\r\nContent-Length: x1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> new ResponseFraming(0).feed(badLength, 0, badLength.length)).isInstanceOf(ResponseFraming.Malformed.class);
    }
}
