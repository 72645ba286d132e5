package dev.serverlab.api.server;

import dev.serverlab.api.app.Headers;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.http.Timing;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ExchangeTest {

    private static final Request GET = new Request("GET", "/", "/", "", "HTTP/1.1", Headers.EMPTY, Request.NO_BODY);

    @Test
    void anAnswerGivenAtOnceStartsAndFinishesInOneMoment() {
        Exchange exchange = new Exchange(GET, 7);
        exchange.markFinished();
        assertThat(exchange.acceptedMicros()).isEqualTo(7);
        assertThat(exchange.startedMicros()).isEqualTo(exchange.finishedMicros()).isPositive();
        assertThat(exchange.servedBy()).isEqualTo(Timing.currentWorker());
    }

    @Test
    void reuseStartsTheNextRequestAfresh() {
        Exchange exchange = new Exchange(GET, 7);
        exchange.markStarted();
        exchange.markFinished();
        long first = exchange.sequence();
        Request next = new Request("HEAD", "/", "/", "", "HTTP/1.1", Headers.EMPTY, Request.NO_BODY);
        exchange.reuse(next);
        assertThat(exchange.request()).isSameAs(next);
        assertThat(exchange.sequence()).as("a late result of the first request is told apart").isNotEqualTo(first);
        assertThat(exchange.startedMicros()).isZero();
        assertThat(exchange.finishedMicros()).isZero();
        assertThat(exchange.servedBy()).isNull();
        assertThat(exchange.acceptedMicros()).as("the same connection").isEqualTo(7);
    }
}
