package dev.serverlab.api.http;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class HttpDateTest {

    /** RFC 9110 §5.6.7: day-name, two-digit day, month, four-digit year, time, GMT. */
    private static final String IMF_FIXDATE =
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} \\d{2}:\\d{2}:\\d{2} GMT";

    @Test
    void daysOneToNineHaveTwoDigits() {
        for (int day = 1; day <= 9; day++) {
            long second = LocalDate.of(2026, 12, day).atTime(5, 2, 47).toEpochSecond(ZoneOffset.UTC);
            assertThat(HttpDate.format(second)).matches(IMF_FIXDATE).contains(" 0" + day + " Dec 2026 05:02:47 GMT");
        }
        long first = LocalDate.of(2026, 12, 1).atTime(5, 2, 47).toEpochSecond(ZoneOffset.UTC);
        assertThat(HttpDate.format(first)).isEqualTo("Tue, 01 Dec 2026 05:02:47 GMT");
    }

    @Test
    void theRfcExampleIsReproduced() {
        long second = LocalDate.of(1994, 11, 6).atTime(8, 49, 37).toEpochSecond(ZoneOffset.UTC);
        assertThat(HttpDate.format(second)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    }

    @Test
    void nowIsImfFixdateAndItsBytesMatchItsText() {
        assertThat(HttpDate.now()).matches(IMF_FIXDATE).hasSize(HttpDate.LENGTH);
        byte[] copy = new byte[HttpDate.LENGTH + 2];
        assertThat(HttpDate.copyNow(copy, 1)).isEqualTo(HttpDate.LENGTH + 1);
        // The second may turn between the two calls; both must be well formed either way.
        assertThat(new String(copy, 1, HttpDate.LENGTH, java.nio.charset.StandardCharsets.US_ASCII)).matches(IMF_FIXDATE);
    }
}
