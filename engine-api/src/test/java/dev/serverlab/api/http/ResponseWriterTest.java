package dev.serverlab.api.http;

import dev.serverlab.api.app.Response;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ResponseWriterTest {

    private static final Timing TIMING = new Timing(1_764_565_367_000_001L, 1_764_565_367_000_020L, 1_764_565_367_000_300L, "42/nio-loop-1");

    @Test
    void everyFieldInItsOrderWithExactDigits() {
        String text = text(ResponseWriter.encode(Response.ok("Hello, World!\n"), TIMING, true, false));
        String date = text.substring(text.indexOf("Date: ") + 6, text.indexOf("\r\n", text.indexOf("Date: ")));
        assertThat(text).isEqualTo("HTTP/1.1 200 OK\r\n"
                + "Server: serverlab\r\n"
                + "Date: " + date + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 14\r\n"
                + "Connection: keep-alive\r\n"
                + "X-Accepted-At: 1764565367000001\r\n"
                + "X-Started-At: 1764565367000020\r\n"
                + "X-Finished-At: 1764565367000300\r\n"
                + "X-Served-By: 42/nio-loop-1\r\n"
                + "\r\n"
                + "Hello, World!\n");
        assertThat(date).hasSize(29).endsWith(" GMT");
    }

    @Test
    void numbersOfEveryLengthAreWrittenExactly() {
        long[] values = {0, 9, 10, 99, 100, 999_999_999L, 1_000_000_000L, 999_999_999_999_999_999L, Long.MAX_VALUE};
        for (long v : values) {
            String text = text(ResponseWriter.encode(Response.ok(""), new Timing(v, v, v, "w"), true, false));
            assertThat(text).contains("X-Accepted-At: " + v + "\r\nX-Started-At: " + v + "\r\n").endsWith("X-Served-By: w\r\n\r\n");
        }
    }

    @Test
    void headHasGetsHeadersAndNoBodyAndCloseSaysClose() {
        String text = text(ResponseWriter.encode(Response.ok("abc"), TIMING, false, true));
        assertThat(text).contains("Content-Length: 3\r\n", "Connection: close\r\n").endsWith("\r\n\r\n");
    }

    @Test
    void anUnnamedStatusOtherTypesAndApplicationHeaders() {
        Response r = new Response(299, "application/json", List.of(), "{}".getBytes(StandardCharsets.UTF_8))
                .withHeader("Allow", "GET, HEAD");
        String text = text(ResponseWriter.encode(r, null, true, false));
        assertThat(text).startsWith("HTTP/1.1 299 OK\r\nServer: serverlab\r\n")
                .contains("Content-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\nAllow: GET, HEAD\r\n\r\n{}")
                .doesNotContain("X-Started-At");
    }

    @Test
    void headerTextCannotBreakFraming() {
        Response r = Response.ok("").withHeader("X-Evil", "a\r\nSet-Cookie: x\u0100");
        assertThat(text(ResponseWriter.encode(r, null, true, false))).contains("X-Evil: a??Set-Cookie: x?\r\n");
    }

    @Test
    void refusalsAreShortTextAndClose() {
        String text = text(ResponseWriter.error(new HttpException(431, "header fields too large"), TIMING));
        assertThat(text).startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n").contains("Connection: close\r\n")
                .endsWith("\r\n\r\nheader fields too large\n");
    }

    @Test
    void pipelinedResponsesLeaveInOneWriteInOrderAndTheBufferIsReused() throws Exception {
        ResponseWriter writer = new ResponseWriter();
        writer.append(Response.ok("one\n"), TIMING, true, false);
        writer.appendContinue();
        writer.append(Response.ok("two\n"), TIMING, false, false);
        int pending = writer.pendingBytes();
        CountingChannel channel = new CountingChannel(Integer.MAX_VALUE);
        assertThat(writer.writeTo(channel)).isEqualTo(pending);
        assertThat(channel.writes).isEqualTo(1);
        String all = channel.text();
        assertThat(all.indexOf("one\n")).isLessThan(all.indexOf("HTTP/1.1 100 Continue\r\n\r\n"));
        assertThat(all).endsWith("two\n");
        assertThat(writer.pendingBytes()).isZero();
    }

    @Test
    void aPartialWriteKeepsTheRestForLaterAndALargeBodyFitsWhole() throws Exception {
        byte[] big = new byte[300_000];
        java.util.Arrays.fill(big, (byte) 'x');
        ResponseWriter writer = new ResponseWriter();
        writer.append(new Response(200, null, List.of(), big), TIMING, true, false);
        writer.append(Response.ok("after\n"), TIMING, true, false);
        CountingChannel channel = new CountingChannel(70_000);
        writer.writeTo(channel);
        writer.append(Response.ok("more\n"), TIMING, true, false); // appended while a write is partial
        while (writer.pendingBytes() > 0 && channel.writes < 100) writer.writeTo(channel);
        assertThat(writer.pendingBytes()).isZero();
        assertThat(channel.text()).startsWith("HTTP/1.1 200 OK").contains("\r\n\r\n" + "x".repeat(1000)).contains("after\n")
                .endsWith("more\n");
        assertThat(channel.text().indexOf("after\n")).isLessThan(channel.text().indexOf("more\n"));
    }

    @Test
    void aBlockingWriterGetsTheSameBytesInOneCall() throws Exception {
        ResponseWriter writer = new ResponseWriter();
        writer.append(Response.ok("hi\n"), TIMING, true, false);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.io.OutputStream out = new java.io.FilterOutputStream(sink) {
            @Override
            public void write(byte[] b, int off, int len) {
                calls.incrementAndGet();
                sink.write(b, off, len);
            }
        };
        writer.writeTo(out);
        assertThat(calls).hasValue(1);
        assertThat(writer.pendingBytes()).isZero();
        String encoded = text(ResponseWriter.encode(Response.ok("hi\n"), TIMING, true, false));
        // The Date may turn between the two encodings: compare all but it.
        assertThat(sink.toString(StandardCharsets.ISO_8859_1).replaceAll("Date: [^\r]*", "Date"))
                .isEqualTo(encoded.replaceAll("Date: [^\r]*", "Date"));
    }

    private static String text(ByteBuffer b) {
        return StandardCharsets.ISO_8859_1.decode(b.duplicate()).toString();
    }

    /** A channel that takes at most {@code max} bytes a write, as a full socket buffer does. */
    private static final class CountingChannel implements WritableByteChannel {
        final ByteArrayOutputStream sink = new ByteArrayOutputStream();
        final WritableByteChannel out = Channels.newChannel(sink);
        final int max;
        int writes;

        CountingChannel(int max) {
            this.max = max;
        }

        @Override
        public int write(ByteBuffer src) throws java.io.IOException {
            writes++;
            int limit = src.limit();
            src.limit(Math.min(limit, src.position() + max));
            try {
                return out.write(src);
            } finally {
                src.limit(limit);
            }
        }

        String text() {
            return sink.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
