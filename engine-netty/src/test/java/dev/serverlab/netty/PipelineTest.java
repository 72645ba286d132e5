package dev.serverlab.netty;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.*;
import dev.serverlab.api.server.AccessLog;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The pipeline on an {@link EmbeddedChannel}: no sockets, and time that moves only when the test says so. */
class PipelineTest {

    private static final Limits LIMITS = Limits.DEFAULTS
            .withHeaderReadTimeout(Duration.ofSeconds(2))
            .withIdleTimeout(Duration.ofSeconds(5));

    private EmbeddedChannel channel;
    private HttpPipeline server;

    private EmbeddedChannel open() {
        return open(Application.experiment());
    }

    private EmbeddedChannel open(Application application) {
        server = new HttpPipeline(application, LIMITS, new AccessLog(false), null);
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.attr(HttpPipeline.ACCEPTED_AT).set(1_000_000L);
        channel.pipeline().addLast(server);
        return channel;
    }

    @AfterEach
    void close() {
        if (channel != null) channel.finishAndReleaseAll();
    }

    private void send(String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    /** Everything written so far, as text. */
    private String written() {
        StringBuilder out = new StringBuilder();
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) msg;
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }

    private void advance(Duration d) {
        channel.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }

    private static List<String> statusLines(String text) {
        List<String> lines = new ArrayList<>();
        Matcher m = Pattern.compile("HTTP/1\\.1 \\d{3} [A-Za-z ]+(?=\r\n)").matcher(text);
        while (m.find()) lines.add(m.group());
        return lines;
    }

    @Test
    void answersWithTheSharedHeaderOrder() {
        open();
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        String out = written();
        assertThat(out).startsWith("HTTP/1.1 200 OK\r\nServer: serverlab\r\nDate: ");
        assertThat(out).contains("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\nConnection: keep-alive\r\nX-Accepted-At: 1000000\r\n");
        assertThat(out).endsWith("\r\n\r\nHello, World!\n");
    }

    @Test
    void theApplicationsHeadersComeLastAndAnAnswerWithoutBodyHasNoContentLength() {
        open(Application.of(request -> request.path().equals("/none")
                ? new Response(204, null, List.of(new Header("X-App", "1")), Request.NO_BODY)
                : new Response(200, "application/json", List.of(new Header("X-App", "2")), "{}".getBytes(StandardCharsets.US_ASCII))));
        send("GET /none HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
        String out = written();
        String timing = "X-Accepted-At: 1000000\r\nX-Started-At: \\d+\r\nX-Finished-At: \\d+\r\nX-Served-By: \\d+/[^\r]+\r\n";
        // Netty's encoder drops Content-Length from a 204 (RFC 9110 §8.6); the answers' own headers follow ours.
        assertThat(out).matches("HTTP/1.1 204 No Content\r\nServer: serverlab\r\nDate: [^\r]+ GMT\r\nConnection: keep-alive\r\n"
                + timing + "X-App: 1\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nServer: serverlab\r\nDate: [^\r]+ GMT\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                + "Connection: keep-alive\r\n" + timing + "X-App: 2\r\n\r\n\\{}");
    }

    @Test
    void aSleepIsATimerOnTheLoopAndPipelinedAnswersWaitForIt() {
        open();
        send("GET /sleep/1000 HTTP/1.1\r\nHost: t\r\n\r\nGET /fib/10 HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThat(written()).as("nothing before the timer fires").isEmpty();
        assertThat(channel.config().isAutoRead()).as("a busy connection stops reading").isFalse();
        advance(Duration.ofMillis(999));
        assertThat(written()).isEmpty();
        advance(Duration.ofMillis(1));
        String out = written();
        assertThat(statusLines(out)).containsExactly("HTTP/1.1 200 OK", "HTTP/1.1 200 OK");
        assertThat(out.indexOf("\r\n\r\n1000\n")).isLessThan(out.indexOf("\r\n\r\n55\n"));
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void headersThatTakeTooLongGet408AndTheConnectionCloses() {
        open();
        send("GET / HTTP/1.1\r\nHost");
        advance(Duration.ofMillis(1999));
        assertThat(written()).isEmpty();
        advance(Duration.ofMillis(1));
        String out = written();
        assertThat(out).startsWith("HTTP/1.1 408 Request Timeout\r\n").contains("Connection: close");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void anIdleKeepAliveConnectionClosesAfterTheIdleTimeout() {
        open();
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThat(written()).contains("200 OK");
        advance(Duration.ofMillis(4999));
        assertThat(channel.isOpen()).isTrue();
        advance(Duration.ofMillis(1));
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aStalledBodyGets408AfterTheIdleTimeout() {
        open();
        send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
        advance(Duration.ofSeconds(3));
        assertThat(channel.isOpen()).as("the header deadline no longer applies").isTrue();
        send("de");
        advance(Duration.ofSeconds(4));
        assertThat(channel.isOpen()).as("the pause restarted with the last bytes").isTrue();
        advance(Duration.ofSeconds(1));
        assertThat(channel.isOpen()).isFalse();
        assertThat(written()).startsWith("HTTP/1.1 408 Request Timeout\r\n").endsWith("the request body stopped arriving\n");
    }

    @Test
    void aRefusalIsAnsweredAfterTheRequestsBeforeIt() {
        open();
        send("GET /sleep/10 HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\n\r\n");
        advance(Duration.ofMillis(10));
        assertThat(statusLines(written())).containsExactly("HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void drainClosesAnIdleConnectionButLetsABusyOneFinish() {
        open();
        send("GET /sleep/100 HTTP/1.1\r\nHost: t\r\n\r\n");
        channel.pipeline().fireUserEventTriggered(ExchangeHandler.DRAIN);
        assertThat(channel.isOpen()).isTrue();
        advance(Duration.ofMillis(100));
        assertThat(written()).contains("200 OK").contains("Connection: keep-alive");

        EmbeddedChannel idle = open();
        idle.pipeline().fireUserEventTriggered(ExchangeHandler.DRAIN);
        advance(Duration.ofMillis(ExchangeHandler.DRAIN_GRACE_MILLIS));
        assertThat(idle.isOpen()).isFalse();
    }

    @Test
    void aRequestArrivingJustAsTheDrainBeginsIsAnsweredThenClosed() {
        open();
        server.draining = true;
        channel.pipeline().fireUserEventTriggered(ExchangeHandler.DRAIN);
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        advance(Duration.ofMillis(ExchangeHandler.DRAIN_GRACE_MILLIS));
        assertThat(written()).contains("200 OK").contains("Connection: close");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void decoderFailuresMapToTheirStatuses() {
        assertThat(HttpPipeline.refusal(DecoderResult.failure(new TooLongHttpLineException("long"))).status()).isEqualTo(414);
        assertThat(HttpPipeline.refusal(DecoderResult.failure(new TooLongHttpHeaderException("big"))).status()).isEqualTo(431);
        assertThat(HttpPipeline.refusal(DecoderResult.failure(new IllegalArgumentException("odd 'X-Secret'"))))
                .satisfies(e -> assertThat(e.status()).isEqualTo(400)).satisfies(e -> assertThat(e.getMessage()).doesNotContain("Secret"));
    }

    @Test
    void aRequestAnsweredInlineNeverStopsReading() {
        open();
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n".repeat(3));
        assertThat(statusLines(written())).hasSize(3);
        assertThat(channel.config().isAutoRead()).as("no change of interest, so no epoll_ctl").isTrue();
    }

    @Test
    void aBodyIsNotHeldToTheHeaderDeadline() {
        open();
        // The decoder holds the half-read chunk-size line; the head is in, so only idleTimeout bounds the pause.
        send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5");
        advance(Duration.ofSeconds(3));
        assertThat(written()).isEmpty();
        assertThat(channel.isOpen()).isTrue();
        send("\r\nhello\r\n0\r\n\r\n");
        assertThat(written()).startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\nhello");
    }
}
